// The room's people as the pluv client models them: myself, and others grouped by user.
//
// One user may hold several sessions (tabs). Others are keyed by a client id, which is the
// user's id when the room is authenticated and the session id otherwise, so each other user
// appears once; the entry goes away when that user's last session exits.

const encoder = new TextEncoder();

/** Returns a shallow copy of obj without the keys whose value is undefined. */
function defined(obj) {
  return Object.fromEntries(Object.entries(obj ?? {}).filter(([, v]) => v !== undefined));
}

/** The client id that groups sessions: the user's id, or the session id without auth. */
export function clientIdOf(info) {
  return info.user?.id ?? info.connectionId;
}

export class Users {
  /** @type {{connectionId: string, user: any, presence: object} | null} */
  myself = null;

  #initialPresence;
  #maxPresenceBytes;
  #myPresence;
  #others = new Map(); // client id → {connectionId, user, presence}
  #clientOfSession = new Map(); // session id → client id
  #sessionsOfClient = new Map(); // client id → Set of session ids

  constructor(initialPresence, maxPresenceBytes) {
    this.#initialPresence = initialPresence;
    this.#maxPresenceBytes = maxPresenceBytes;
    this.#myPresence = initialPresence;
  }

  /** My presence; it exists and can change while disconnected. */
  get myPresence() {
    return this.#myPresence;
  }

  /** Every other user, one entry per user. */
  others() {
    return Array.from(this.#others.values());
  }

  /** The other user holding session id, or null. */
  other(connectionId) {
    const clientId = this.clientId(connectionId);
    return clientId === null ? null : (this.#others.get(clientId) ?? null);
  }

  /** The client id a session id belongs to, or null when the session is unknown. */
  clientId(connectionId) {
    if (this.myself?.connectionId === connectionId) return clientIdOf(this.myself);
    return this.#clientOfSession.get(connectionId) ?? null;
  }

  /** Becomes myself for a new socket; presence null means "keep my initial presence". */
  setMyself(connectionId, user, presence) {
    const mine = presence ?? this.#initialPresence;
    this.myself = { connectionId, user, presence: mine };
    this.#myPresence = mine;
    this.#link(connectionId, clientIdOf(this.myself));
  }

  /**
   * Records a session. Returns whether it belongs to me (another tab of my user). An already
   * known user keeps the presence it has, as the real client does.
   */
  add(connectionId, user, presence) {
    const data = {
      connectionId,
      user,
      presence: { ...this.#initialPresence, ...defined(presence) },
    };
    const clientId = clientIdOf(data);
    this.#link(connectionId, clientId);
    if (this.myself && clientIdOf(this.myself) === clientId) return true;
    if (!this.#others.has(clientId)) this.#others.set(clientId, data);
    return false;
  }

  /** Removes a session; returns the other user it belonged to, or null. */
  remove(connectionId) {
    const clientId = this.clientId(connectionId);
    this.#unlink(connectionId, clientId);
    if (clientId === null) return null;
    const other = this.#others.get(clientId) ?? null;
    if (other && !this.#sessionsOfClient.has(clientId)) this.#others.delete(clientId);
    return other;
  }

  /** Merges a presence patch into the session's user (me, for my other tabs). */
  patch(connectionId, patch) {
    const clientId = this.clientId(connectionId);
    if (clientId === null) return null;
    if (this.myself && clientIdOf(this.myself) === clientId) return this.updateMine(patch);
    const other = this.#others.get(clientId);
    if (!other) return null;
    const presence = { ...this.#initialPresence, ...defined(other.presence), ...defined(patch) };
    this.#others.set(clientId, { ...other, presence });
    return presence;
  }

  /** Merges a patch into my presence, refusing a result over the size limit. */
  updateMine(patch) {
    const next = { ...this.#initialPresence, ...defined(this.#myPresence), ...defined(patch) };
    const bytes = encoder.encode(JSON.stringify(next)).length;
    if (this.#maxPresenceBytes && bytes > this.#maxPresenceBytes) {
      throw new Error(`presence is ${bytes} bytes, over the ${this.#maxPresenceBytes} limit`);
    }
    this.#myPresence = next;
    if (this.myself) this.myself = { ...this.myself, presence: next };
    return next;
  }

  /** Forgets every session, mine included (the socket is gone). */
  clear() {
    this.myself = null;
    this.#others.clear();
    this.#clientOfSession.clear();
    this.#sessionsOfClient.clear();
  }

  /** Session ids known for others. */
  sessionIds() {
    const mine = this.myself?.connectionId;
    return Array.from(this.#clientOfSession.keys()).filter((id) => id !== mine);
  }

  #link(connectionId, clientId) {
    this.#clientOfSession.set(connectionId, clientId);
    const set = this.#sessionsOfClient.get(clientId) ?? new Set();
    set.add(connectionId);
    this.#sessionsOfClient.set(clientId, set);
  }

  #unlink(connectionId, clientId) {
    this.#clientOfSession.delete(connectionId);
    const set = this.#sessionsOfClient.get(clientId);
    if (!set) return;
    set.delete(connectionId);
    if (set.size === 0) this.#sessionsOfClient.delete(clientId);
  }
}
