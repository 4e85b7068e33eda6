// Binds a <textarea> to a Y.Text: local typing becomes the smallest delete+insert, and remote
// changes update the box while keeping the caret where the person left it.

/** Whether code unit c is the first half of a UTF-16 surrogate pair. */
const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;

/**
 * The single changed span between two strings: [start, endBefore, endAfter], widened so it
 * never splits a surrogate pair (an emoji must not be cut in half).
 */
export function diffSpan(before, after) {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  let endB = before.length;
  let endA = after.length;
  const same = () => before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1);
  while (endB > start && endA > start && same()) {
    endB--;
    endA--;
  }
  if (endB < before.length && isHigh(before.charCodeAt(endB - 1))) {
    endB++;
    endA++;
  }
  return [start, endB, endA];
}

/** Moves a caret position through a Yjs text delta (remote insertions before it push it). */
export function shiftThrough(pos, delta) {
  let index = 0;
  for (const op of delta) {
    if (op.retain) index += op.retain;
    else if (op.insert !== undefined) {
      const n = typeof op.insert === "string" ? op.insert.length : 1;
      if (index < pos) pos += n;
      index += n;
    } else if (op.delete) {
      if (index < pos) pos = Math.max(index, pos - op.delete);
    }
  }
  return pos;
}

/** Keeps textarea and ytext equal; returns a function that unbinds them. */
export function bindTextarea(ytext, textarea) {
  let value = ytext.toString();
  textarea.value = value;

  const onInput = () => {
    const next = textarea.value;
    const [start, endB, endA] = diffSpan(value, next);
    value = next;
    if (endB === start && endA === start) return;
    ytext.doc.transact(() => {
      if (endB > start) ytext.delete(start, endB - start);
      if (endA > start) ytext.insert(start, next.slice(start, endA));
    });
  };

  const onChange = (event) => {
    if (event.transaction.local) return; // the box already shows our own typing
    const focused = document.activeElement === textarea;
    const s = shiftThrough(textarea.selectionStart, event.delta);
    const e = shiftThrough(textarea.selectionEnd, event.delta);
    value = ytext.toString();
    textarea.value = value;
    if (focused) textarea.setSelectionRange(s, e);
  };

  textarea.addEventListener("input", onInput);
  ytext.observe(onChange);
  return () => {
    textarea.removeEventListener("input", onInput);
    ytext.unobserve(onChange);
  };
}
