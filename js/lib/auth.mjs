// Fetching a room token from the app's auth endpoint, as @pluv/client does.

/**
 * Fetches the token for room from endpoint: absent (no auth: null), `true`
 * (`/api/pluv/authorize?room=<room>`), a URL, or `({room}) => url | {url, options}` where
 * options is a fetch init. Only status 200 counts; the trimmed body is the token.
 * @returns {Promise<string | null>}
 */
export async function fetchToken(endpoint, room, fetch) {
  if (endpoint === undefined || endpoint === null || endpoint === false) return null;
  let req = endpoint;
  if (endpoint === true) req = `/api/pluv/authorize?room=${room}`;
  else if (typeof endpoint === "function") req = endpoint({ room, metadata: {} });
  if (typeof req === "string") req = { url: req };
  const res = await fetch(req.url, req.options ?? {});
  if (!res.ok || res.status !== 200) throw new Error("Room is unauthorized");
  return (await res.text()).trim();
}
