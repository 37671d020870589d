/** A request error a reader can fix (unknown column, bad value, bad cursor): HTTP answers 400. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}
