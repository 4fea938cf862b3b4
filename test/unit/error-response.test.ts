import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError, unauthorized, unavailable } from '../../src/errors.js';
import { BASIC_CHALLENGE, dockerErrorAnswer, oauthErrorAnswer } from '../../src/http/error-response.js';

test('the status and headers are decided here, from the code alone', () => {
  assert.deepEqual(dockerErrorAnswer(unauthorized('invalid username or password')), {
    status: 401,
    headers: { 'WWW-Authenticate': BASIC_CHALLENGE },
    body: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] },
  });
  assert.deepEqual(dockerErrorAnswer(new AppError('UNKNOWN_SERVICE', 'unknown service: "x"')).status, 400);
  assert.deepEqual(dockerErrorAnswer(new AppError('URI_TOO_LONG', 'too long')).status, 414);
});

test('a 503 carries Retry-After (rounded up, at least 1 s) and never its internal message', () => {
  assert.deepEqual(dockerErrorAnswer(unavailable('Vault at registry/data/x answered 500', { retryAfterSeconds: 2.2 })), {
    status: 503,
    headers: { 'Retry-After': '3' },
    body: { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] },
  });
  assert.equal(dockerErrorAnswer(unavailable('x', { retryAfterSeconds: 0.01 })).headers['Retry-After'], '1');
  assert.equal(dockerErrorAnswer(unavailable('x')).headers['Retry-After'], '5');
  assert.deepEqual(dockerErrorAnswer(new AppError('INTERNAL', 'secret detail')).body, { errors: [{ code: 'INTERNAL', message: 'internal server error' }] });
});

test('an unmet expectation (found by the HTTP fuzz suite: Node answered an empty 417): 417, in both shapes', () => {
  const error = new AppError('EXPECTATION_FAILED', 'the only expectation served is 100-continue');
  assert.deepEqual(dockerErrorAnswer(error), {
    status: 417,
    headers: {},
    body: { errors: [{ code: 'EXPECTATION_FAILED', message: 'the only expectation served is 100-continue' }] },
  });
  assert.deepEqual(oauthErrorAnswer(error), {
    status: 417,
    headers: {},
    body: {
      error: 'invalid_request',
      error_description: 'the only expectation served is 100-continue',
      details: 'the only expectation served is 100-continue',
    },
  });
});
