/** What this package offers in Node and in browsers alike. */
export { Account } from './account.js';
export { ControlApiError, MockUnreachableError, StartError } from './errors.js';
export { connect, DoitongMock } from './mock.js';
export { sign, signStandard, verifySignature } from './signature.js';
