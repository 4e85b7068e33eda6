// Tests of the demo's textarea binding maths: the minimal diff and caret shifting.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as Y from "yjs";

import { diffSpan, shiftThrough } from "../demo/src/textarea.mjs";

test("diffSpan", async (t) => {
  const cases = [
    ["insert in the middle", "abcd", "abXcd", [2, 2, 3]],
    ["delete at the end", "abcd", "ab", [2, 4, 2]],
    ["replace", "abcd", "aXYd", [1, 3, 3]],
    ["no change", "abc", "abc", [3, 3, 3]],
    ["repeated letters", "aaa", "aaaa", [3, 3, 4]],
    ["emoji changed keeps the pair", "x😀y", "x😁y", [1, 3, 3]],
    ["emoji inserted before an emoji", "😀", "😁😀", [0, 0, 2]],
    ["from empty", "", "hello", [0, 0, 5]],
  ];
  for (const [name, before, after, want] of cases) {
    await t.test(name, () => assert.deepEqual(diffSpan(before, after), want));
  }
});

test("diffSpan edits turn one string into the other through a Y.Text", () => {
  const pairs = [
    ["hello world", "hello brave new world"],
    ["x😀y", "x😁y"],
    ["😀😀", "😀"],
    ["abc", ""],
  ];
  for (const [before, after] of pairs) {
    const doc = new Y.Doc();
    const text = doc.getText("t");
    text.insert(0, before);
    const [start, endB, endA] = diffSpan(before, after);
    text.delete(start, endB - start);
    text.insert(start, after.slice(start, endA));
    assert.equal(text.toString(), after);
  }
});

test("shiftThrough", async (t) => {
  const cases = [
    ["insert before the caret", 5, [{ retain: 2 }, { insert: "abc" }], 8],
    ["insert after the caret", 1, [{ retain: 2 }, { insert: "abc" }], 1],
    ["insert at the caret stays", 2, [{ retain: 2 }, { insert: "abc" }], 2],
    ["delete before the caret", 5, [{ delete: 2 }], 3],
    ["delete around the caret", 5, [{ retain: 3 }, { delete: 5 }], 3],
  ];
  for (const [name, pos, delta, want] of cases) {
    await t.test(name, () => assert.equal(shiftThrough(pos, delta), want));
  }
});
