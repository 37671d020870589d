/**
 * A request matching refuses, in words, with the HTTP status it answers with: a bad reference-data row (400),
 * an unknown provider or transaction (404), a transaction already matched (409). The CLI prints the sentence.
 */
export class MatchingError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'MatchingError';
  }
}
