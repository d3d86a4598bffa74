import { badInput } from '../core/domain-error.js';

/**
 * Validates a Relay `first` argument against the configured cap.
 * @throws DomainError `BAD_USER_INPUT` when `first` is negative or above `max` (before any provider call).
 */
export function checkFirst(first: number, max: number): number {
  if (!Number.isInteger(first) || first < 0) {
    throw badInput('`first` must be a non-negative integer.', { argument: 'first' });
  }
  if (first > max) {
    throw badInput(`\`first\` must be at most ${max}.`, { argument: 'first', max });
  }
  return first;
}
