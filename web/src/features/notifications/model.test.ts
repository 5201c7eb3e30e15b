import { describe, expect, it } from "vitest";

import { channelSummary, configToDraft, draftToConfig, MASK, parseHeaderLines, testOutcome, urlHint } from "./model";

describe("channel config ↔ draft", () => {
  it("round-trips an e-mail config, keeping the masked password as the mask", () => {
    const config = { host: "smtp.example.com", port: 2525, tls: "ssl", username: "bot", password: MASK, from: "tp@example.com", to: ["a@example.com", "b@example.com"] };
    expect(draftToConfig("email", configToDraft(config))).toEqual({ config });
  });

  it("sends only the fields of the chosen type", () => {
    const draft = configToDraft({ host: "smtp", url: "https://hooks.example.com/x", headers: { "X-Team": "ops" } });
    expect(draftToConfig("webhook", draft)).toEqual({ config: { url: "https://hooks.example.com/x", headers: { "X-Team": "ops" } } });
    expect(draftToConfig("apprise", draft)).toEqual({ config: { url: "https://hooks.example.com/x" } });
    expect(draftToConfig("in_app", { ...draft, users: ["u1"] })).toEqual({ config: { users: ["u1"], groups: [] } });
    expect(draftToConfig("teams", draft)).toEqual({ config: { url: "https://hooks.example.com/x" } });
  });

  it("asks a Teams channel for its workflow webhook URL, and says a stored one is kept", () => {
    expect(urlHint("teams")).toContain("Teams workflow");
    expect(urlHint("teams", "Shown masked.")).toContain("; Shown masked.");
    expect(urlHint("webhook")).toBe("Receives each notification as a JSON POST.");
  });

  it("names a malformed header line", () => {
    expect(parseHeaderLines("A: 1\n\nB:2")).toEqual({ headers: { A: "1", B: "2" } });
    const bad = draftToConfig("webhook", { ...configToDraft({}), url: "https://x", headers: "A: 1\nnope" });
    expect(bad.error).toEqual({ field: "config.headers", message: "Line 2 is not “Name: value”." });
  });
});

describe("channelSummary", () => {
  it("says where a channel sends", () => {
    expect(channelSummary("webhook", { url: "https://h.example" })).toBe("https://h.example");
    expect(channelSummary("in_app", { users: ["a", "b"], groups: ["g"] })).toBe("2 users, 1 group");
    expect(channelSummary("email", { host: "smtp", from: "x@y.z", to: [] })).toBe("smtp from x@y.z");
  });
});

describe("testOutcome", () => {
  it("waits while queued or retrying, succeeds when all are sent, fails on a dead one", () => {
    expect(testOutcome([{ status: "queued", destination: "d" }]).state).toBe("pending");
    expect(testOutcome([{ status: "failed", destination: "d", last_error: "503" }]).message).toMatch(/retrying: d: 503/);
    expect(testOutcome([{ status: "sent", destination: "ann" }])).toEqual({ state: "sent", message: "Delivered to ann." });
    expect(testOutcome([{ status: "sent", destination: "a" }, { status: "dead", destination: "b", last_error: "refused" }])).toEqual({
      state: "failed",
      message: "b: refused",
    });
    expect(testOutcome([]).state).toBe("failed");
    const inbox = "50ac9c2c-1e2a-4164-8cbd-9d8276e31a24";
    expect(testOutcome([{ status: "sent", destination: inbox }]).message).toBe("Delivered to an in-app inbox.");
  });
});
