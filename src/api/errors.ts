// The error the API's own checks throw. It is a CiFailure (src/domain/errors.ts holds the one table of
// Codes and statuses), so the app answers it like any other failure: its status, its Code, its message.
import { CiFailure } from '../domain/errors.js';

export class CiError extends CiFailure {}

/** A request field failed validation: 400 InvalidArgument naming the field. */
export function invalidArgument(field: string, problem: string): CiError {
  return new CiError('InvalidArgument', `${field}: ${problem}`, field);
}
