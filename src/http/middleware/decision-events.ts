/**
 * Turns the outcome of every token request into one event, `token.granted`
 * or `token.denied`, once the answer is decided (after the error handler
 * has chosen the status). The audit log, the metrics and the throttling of
 * password guessing listen; the endpoints know nothing of them.
 */
import type { Next } from 'koa';
import { formatScope } from '../../domain/scope.js';
import type { ServerEvents, TokenDecision } from '../../events.js';
import type { AppContext } from '../context.js';

export function decisionEvents(events: ServerEvents) {
  return async function emitDecision(ctx: AppContext, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    await next();
    const state = ctx.state;
    if (!state.decision) return;
    const decision: TokenDecision = {
      requestId: state.requestId,
      client: state.client,
      method: ctx.method,
      service: state.service,
      account: state.account ?? state.attempted,
      grant: state.grant,
      ...(state.login ? { login: state.login } : {}),
      requested: (state.requested ?? []).map(formatScope),
      granted: (state.granted ?? []).map(formatScope),
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
    if (state.token && ctx.status < 400) events.emit('token.granted', { ...decision, ...state.token });
    else events.emit('token.denied', { ...decision, reason: state.errorCode ?? 'INTERNAL', status: ctx.status });
  };
}
