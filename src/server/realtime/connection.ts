import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket, RawData } from 'ws';
import type { Subscription } from '../../api/subscriptions/broker.ts';
import { NO_AUTH_HEADER, type AuthOutcome } from '../graphql/request-auth.ts';
import { formatFieldError, formatRequestError } from '../graphql/errors.ts';
import * as frames from './frames.ts';
import { lowerCased } from './handshake.ts';
import type { RealtimeContext } from './context.ts';
import { Credential, LAPSE } from './credentials.ts';
import { isObject, parseStartPayload } from './start-payload.ts';

const unauthorized = (message: string): frames.WireError => ({ errorType: 'UnauthorizedException', message });

const MAX_ID_LENGTH = 128;
// Per-connection message budget: a burst of RATE_BURST, refilled at RATE_PER_SECOND.
const RATE_BURST = 200;
const RATE_PER_SECOND = 100;
// Frames that are garbage, unknown or refused before a connection is closed as misbehaving.
const MAX_PROTOCOL_ERRORS = 100;

type State = 'awaiting-init' | 'authenticating' | 'ready' | 'closed';

/**
 * One AppSync real-time connection: the protocol state machine over a `ws` socket. The handshake's
 * credentials are verified while the client sends connection_init; bad ones get a
 * `connection_error` with errorCode 401 and the socket closes (Amplify then stops retrying).
 * Each `start` is authorized on its own (`extensions.authorization`, else the connection's
 * credentials, checked again: expiry and revocation), so one socket can mix auth modes. When a
 * credential expires or is revoked, every subscription that depends on it ends with an
 * UnauthorizedException `error` frame; when it is the handshake's, the connection closes too
 * (`connection_error`, 401). Errors about a subscription always carry its id.
 */
export class RealtimeConnection {
  state: State = 'awaiting-init';
  readonly openedAt: number;
  lastHeard: number;
  lastKa = 0;
  /** The handshake's credentials, once connection_init succeeded. */
  private handshake: Credential | undefined;
  /** Earliest expiry among the credentials in use (Infinity: none expires). */
  private nextExpiry = Infinity;
  private readonly subscriptions = new Map<string, { subscription: Subscription; credential: Credential }>();
  /** Starts being authorized/validated: ids reserved, and whether a stop arrived meanwhile. */
  private readonly pending = new Map<string, { stopped: boolean }>();
  /** Starts received after connection_init but before its ack, handled once acked. */
  private queued: unknown[] = [];
  /** Users this connection keeps online (the connection's and each user-pool start's). */
  private readonly present = new Set<string>();
  private tokens = RATE_BURST;
  private tokensAt: number;
  private protocolErrors = 0;
  private rateErrorAt = 0;
  /** Resolves when the socket is closed (handshake done or terminated). */
  readonly ended: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly auth: Promise<AuthOutcome>,
    private readonly ctx: RealtimeContext,
    /** The handshake's auth headers (undefined when malformed: `auth` then refuses). */
    private readonly handshakeHeaders: IncomingHttpHeaders | undefined,
  ) {
    this.openedAt = this.lastHeard = this.tokensAt = Date.now();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.lastHeard = Date.now()));
    this.ended = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('close', () => this.dispose());
    // Oversized frames, bad UTF-8, protocol violations: ws closes the socket itself (1009, 1007, 1002).
    ws.on('error', (err) => ctx.log.debug({ err }, 'realtime socket error'));
    // A handshake that cannot succeed is known before connection_init; nothing to wait for then.
    auth.catch(() => undefined);
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Sends a frame unless the client stopped reading; a slow consumer is cut off to protect the server. */
  send(frame: string): void {
    if (this.state === 'closed') return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) {
      this.ctx.log.warn({ buffered: this.ws.bufferedAmount }, 'realtime client not reading: connection closed');
      this.ws.terminate();
      return;
    }
    this.ws.send(frame);
  }

  /** Sends `connection_error` (or nothing) and closes. */
  fail(frame: string | undefined, code = 1000, reason = ''): void {
    if (this.state === 'closed') return;
    if (frame) this.send(frame);
    this.dispose();
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.dispose();
    this.ws.terminate();
  }

  ping(): void {
    if (this.state !== 'closed') this.ws.ping();
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    const now = Date.now();
    this.lastHeard = now;
    if (this.state === 'closed') return;
    if (!this.takeToken(now)) {
      if (now - this.rateErrorAt >= 1000) {
        this.rateErrorAt = now;
        this.send(frames.error(undefined, [frames.ERRORS.rateLimited()]));
      }
      return this.protocolError();
    }
    let message: unknown;
    try {
      message = isBinary ? undefined : JSON.parse(raw.toString());
    } catch {
      message = undefined;
    }
    const type = isObject(message) ? message.type : undefined;
    const id = isObject(message) && typeof message.id === 'string' ? message.id : undefined;
    switch (type) {
      case 'connection_init':
        return void this.init();
      case 'start':
        if (this.state === 'authenticating') {
          this.queued.push(message);
          return;
        }
        return void this.start(message as Record<string, unknown>);
      case 'stop':
        return this.stop(id);
      default:
        this.send(frames.error(id, [frames.ERRORS.unsupported()]));
        return this.protocolError();
    }
  }

  private async init(): Promise<void> {
    if (this.state === 'ready') {
      this.send(frames.connectionAck(this.ctx.limits.connectionTimeoutMs));
      return;
    }
    if (this.state !== 'awaiting-init') return;
    this.state = 'authenticating';
    let outcome: AuthOutcome;
    try {
      outcome = await this.auth;
    } catch {
      outcome = { ok: false, message: 'You are not authorized to make this call.' };
    }
    if (this.state !== 'authenticating') return;
    // Credentials that could not be checked (store down) are not refused: no 401, so clients retry.
    if (!outcome.ok && outcome.unavailable) {
      return this.fail(frames.connectionError([{ errorType: 'ServiceUnavailableException', message: outcome.message }]));
    }
    if (!outcome.ok) return this.fail(frames.unauthorizedConnection(outcome.message));
    this.handshake = new Credential(this.handshakeHeaders ?? {}, outcome.caller);
    this.holds(this.handshake);
    this.state = 'ready';
    this.send(frames.connectionAck(this.ctx.limits.connectionTimeoutMs));
    // AppSync sends the first keep-alive right away; Amplify starts its timer on it.
    this.send(frames.KA);
    this.lastKa = Date.now();
    if (outcome.caller.mode === 'AMAZON_COGNITO_USER_POOLS') this.markPresent(outcome.caller.principal.sub);
    const queued = this.queued;
    this.queued = [];
    for (const message of queued) void this.start(message as Record<string, unknown>);
  }

  private async start(message: Record<string, unknown>): Promise<void> {
    const rawId = message.id;
    const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= MAX_ID_LENGTH ? rawId : undefined;
    if (id === undefined) {
      this.send(frames.error(typeof rawId === 'string' ? rawId : undefined, [frames.ERRORS.badId()]));
      return this.protocolError();
    }
    if (this.state !== 'ready') {
      this.send(frames.error(id, [frames.ERRORS.notInitialised()]));
      return this.protocolError();
    }
    if (this.subscriptions.has(id) || this.pending.has(id)) {
      this.send(frames.error(id, [frames.ERRORS.duplicated(id)]));
      return this.protocolError();
    }
    const max = this.ctx.limits.maxSubscriptionsPerConnection;
    if (this.subscriptions.size + this.pending.size >= max) {
      this.send(frames.error(id, [frames.ERRORS.maxSubscriptions(max)]));
      return;
    }
    const ticket = { stopped: false };
    this.pending.set(id, ticket);
    try {
      await this.open(id, message.payload, ticket);
    } catch (err) {
      this.ctx.log.error({ err }, 'realtime start failed');
      this.send(frames.error(id, [{ errorType: 'InternalFailure', message: 'An internal error occurred' }]));
    } finally {
      this.pending.delete(id);
    }
  }

  private async open(id: string, payload: unknown, ticket: { stopped: boolean }): Promise<void> {
    const idJson = JSON.stringify(id);
    const request = parseStartPayload(payload);
    if (!request) {
      this.send(frames.error(id, [frames.ERRORS.badStart()]));
      return;
    }
    const credential = await this.credentialFor(id, request.authorization);
    if (!credential) return;
    const caller = credential.caller;
    const prepared = this.ctx.documents.get(request.query);
    if (!prepared.ok) {
      this.send(frames.error(id, (JSON.parse(prepared.body) as { errors: frames.WireError[] }).errors));
      return;
    }
    const kind = request.operationName !== undefined ? prepared.operations.get(request.operationName) : prepared.operations.size === 1 ? prepared.operations.values().next().value : undefined;
    if (kind !== 'subscription') {
      this.send(frames.error(id, [frames.ERRORS.unsupported(kind ?? 'unknown')]));
      return;
    }
    const result = await this.ctx.broker.open(
      { document: prepared.document, operationName: request.operationName, variables: request.variables, context: { caller } },
      { deliver: (json) => this.deliver(idJson, json) },
    );
    if (!result.ok) {
      const errors =
        result.phase === 'request'
          ? result.errors.map(formatRequestError)
          : result.errors.map((e) => formatFieldError(e, this.ctx.log));
      this.send(frames.error(id, errors as unknown as frames.WireError[]));
      return;
    }
    if (this.state === 'closed' || ticket.stopped || credential.lapsed) {
      result.subscription.close();
      if (ticket.stopped) this.send(frames.complete(idJson));
      else if (credential.lapsed) this.send(frames.error(id, [unauthorized(LAPSE.revoked)]));
      return;
    }
    this.subscriptions.set(id, { subscription: result.subscription, credential });
    this.holds(credential);
    if (caller.mode === 'AMAZON_COGNITO_USER_POOLS') this.markPresent(caller.principal.sub);
    this.send(frames.startAck(idJson));
  }

  /**
   * The credentials a start runs on: its own `extensions.authorization`, or the handshake's,
   * checked again now (a token revoked or expired since the handshake ends the connection). On
   * refusal the start's error frame is sent and undefined returned.
   */
  private async credentialFor(id: string, authorization: unknown): Promise<Credential | undefined> {
    const own = authorization !== undefined;
    const headers = own ? lowerCased(authorization) : this.handshake!.headers;
    const outcome: AuthOutcome = headers ? await this.ctx.authenticate(headers) : { ok: false, message: NO_AUTH_HEADER };
    if (outcome.ok) return own ? new Credential(headers!, outcome.caller) : this.handshake;
    if (outcome.unavailable) {
      this.send(frames.error(id, [{ errorType: 'ServiceUnavailableException', message: outcome.message }]));
      return undefined;
    }
    this.send(frames.error(id, [unauthorized(outcome.message)]));
    if (!own && this.handshake) this.lapse(this.handshake, outcome.message);
    return undefined;
  }

  /** Ends whatever rests on credentials that expired by `now` (the server's timer calls this every tick: O(1) until one did). */
  checkExpiry(now: number): void {
    if (this.state !== 'ready' || now < this.nextExpiry) return;
    let next = Infinity;
    for (const credential of this.credentials()) {
      if (credential.expiresAt === undefined || credential.lapsed) continue;
      if (credential.expiresAt <= now) this.lapse(credential, LAPSE.expired);
      else next = Math.min(next, credential.expiresAt);
    }
    this.nextExpiry = next;
  }

  /** Notes a credential now in use, for the expiry check. */
  private holds(credential: Credential): void {
    if (credential.expiresAt !== undefined) this.nextExpiry = Math.min(this.nextExpiry, credential.expiresAt);
  }

  /** A revocation for `sub` was announced: checks again every credential of that user held here. */
  async recheck(sub: string): Promise<void> {
    if (this.state !== 'ready') return;
    for (const credential of this.credentials()) {
      if (credential.sub !== sub || credential.lapsed) continue;
      const outcome = await this.ctx.authenticate(credential.headers);
      // Not checkable now (store down): kept; the next start checks again, expiry still applies.
      if (!outcome.ok && !outcome.unavailable) this.lapse(credential, LAPSE.revoked);
    }
  }

  /** Every distinct credential in use: the handshake's and the subscriptions'. */
  private credentials(): Set<Credential> {
    const out = new Set<Credential>();
    if (this.handshake) out.add(this.handshake);
    for (const { credential } of this.subscriptions.values()) out.add(credential);
    return out;
  }

  /** Ends every subscription resting on `credential` (error frames), and the connection if it is the handshake's. */
  private lapse(credential: Credential, message: string): void {
    if (credential.lapsed || this.state === 'closed') return;
    credential.lapsed = true;
    for (const [id, entry] of this.subscriptions) {
      if (entry.credential !== credential) continue;
      entry.subscription.close();
      this.subscriptions.delete(id);
      this.send(frames.error(id, [unauthorized(message)]));
    }
    if (credential === this.handshake) {
      this.fail(frames.unauthorizedConnection(message));
      return;
    }
    const sub = credential.sub;
    if (sub !== undefined && ![...this.credentials()].some((c) => c.sub === sub && !c.lapsed)) this.releasePresent(sub);
  }

  private deliver(idJson: string, payloadJson: string): void {
    const max = this.ctx.limits.maxPayloadBytes;
    // Length in UTF-16 units bounds the UTF-8 size from below and by 3x from above.
    if (payloadJson.length > max / 3 && Buffer.byteLength(payloadJson) > max) {
      this.send(frames.error(JSON.parse(idJson) as string, [frames.ERRORS.payloadTooLarge(max)]));
      return;
    }
    this.send(frames.data(idJson, payloadJson));
  }

  private stop(id: string | undefined): void {
    if (id === undefined) {
      this.send(frames.error(undefined, [frames.ERRORS.badId()]));
      return this.protocolError();
    }
    const ticket = this.pending.get(id);
    if (ticket) {
      ticket.stopped = true; // `complete` follows once the start settles
      return;
    }
    this.subscriptions.get(id)?.subscription.close();
    this.subscriptions.delete(id);
    this.send(frames.complete(JSON.stringify(id)));
  }

  private markPresent(userId: string): void {
    if (this.present.has(userId)) return;
    this.present.add(userId);
    this.ctx.presence?.connected(userId);
  }

  private releasePresent(userId: string): void {
    if (!this.present.delete(userId)) return;
    this.ctx.presence?.disconnected(userId);
  }

  private takeToken(now: number): boolean {
    this.tokens = Math.min(RATE_BURST, this.tokens + ((now - this.tokensAt) * RATE_PER_SECOND) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private protocolError(): void {
    if (++this.protocolErrors > MAX_PROTOCOL_ERRORS) {
      this.fail(frames.connectionError([{ errorType: 'LimitExceededError', message: 'Too many invalid messages' }]), 1008, 'misbehaving client');
    }
  }

  /** Releases everything this connection holds; idempotent. */
  private dispose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const { subscription } of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
    this.queued = [];
    for (const userId of this.present) this.ctx.presence?.disconnected(userId);
    this.present.clear();
    this.ctx.closed(this);
  }
}
