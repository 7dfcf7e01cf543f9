// The hub's visitor widget (/widget): served with a strict CSP, its script
// and style from the hub itself, and `/` leads to it. (Driving it in a
// browser is a manual demo step; its socket client is exercised there.)

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startHub } from "./hub.mjs";

describe("visitor widget", () => {
  let hub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub?.stop());

  test("the page is HTML with a CSP that allows no inline script", async () => {
    const res = await fetch(`${hub.url}/widget`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await res.text();
    assert.match(html, /<script src="\/widget\/widget.js"><\/script>/);
  });

  test("its script renders messages as text and talks Socket.IO v4", async () => {
    const res = await fetch(`${hub.url}/widget/widget.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /javascript/);
    const js = await res.text();
    assert.match(js, /textContent/);
    assert.doesNotMatch(js, /innerHTML/);
    assert.match(js, /EIO=4&transport=websocket/);
    // v2.1 visitorContext: the widget says where the visitor is.
    assert.match(js, /context: visitorContext\(\)/);
    for (const key of ["page", "referrer", "userAgent", "locale", "timezone"]) {
      assert.match(js, new RegExp(`\\b${key}:`), `the context has ${key}`);
    }
  });

  test("the root redirects to the widget", async () => {
    const res = await fetch(`${hub.url}/`, { redirect: "manual" });
    assert.ok([302, 303, 307, 308].includes(res.status), `status ${res.status}`);
    assert.equal(res.headers.get("location"), "/widget");
  });
});
