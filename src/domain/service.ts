/**
 * Which storage mount answers for a requested `service`. With a configured
 * list, only its services exist (and a request without a service gets the
 * list's only entry, if it has one). Without a list, the mount is named
 * after the service, as in Godoauth.
 */
import { invalidRequest, unknownService, type AppError } from '../errors.js';
import { checkPathSegment } from './names.js';

export interface ServiceTarget {
  readonly service: string;
  readonly mount: string;
}

export function resolveService(requested: string | undefined, services: ReadonlyMap<string, string> | null): ServiceTarget {
  if (requested === undefined || requested === '') {
    const only = services?.size === 1 ? [...services][0] : undefined;
    if (only) return { service: only[0], mount: only[1] };
    throw invalidRequest('the service parameter is required');
  }
  const check = checkPathSegment(requested);
  if (!check.ok) throw invalidService(requested, check.reason);
  if (services === null) return { service: requested, mount: requested };
  const mount = services.get(requested);
  if (mount === undefined) throw unknownService(requested);
  return { service: requested, mount };
}

function invalidService(service: string, reason: string): AppError {
  const shown = service.length > 64 ? `${service.slice(0, 64)}…` : service;
  return invalidRequest(`the service ${JSON.stringify(shown)} ${reason}`);
}
