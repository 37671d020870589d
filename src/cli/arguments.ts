import { InvalidArgumentError } from 'commander';

/**
 * Option parsers that refuse what they cannot read, with commander's usual "error: option … argument …
 * is invalid" line, instead of passing NaN on (a typo in --limit used to print an empty list, silently).
 */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('Not a whole number (0, 1, 2, …).');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('Not a positive number.');
  return n;
}
