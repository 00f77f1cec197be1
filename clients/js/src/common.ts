/** What this package offers in Node and in browsers alike. */

export type * from './api.js';
export { Account } from './account.js';
export { ControlApiError, MockUnreachableError, StartError } from './errors.js';
export type { EventsOptions, MockEvent } from './events.js';
export { connect, DoitongMock, type ConnectOptions } from './mock.js';
export type {
  AccountFaultOptions,
  DeliveriesQuery,
  DeliveryFilters,
  DeliveryWait,
  FaultOptions,
  JobFilters,
  MockFaultOptions,
  NewAccountOptions,
  RequestFilters,
  Speed,
  WaitOptions,
} from './options.js';
export { sign, signStandard, verifySignature, type HeaderSource, type RawBody } from './signature.js';
