import { describe, expect, it } from "vitest";

import { slackBodyOf, slackDraftOf, slackTestSummary } from "./model";

describe("the Slack settings draft", () => {
  it("sends only the secrets that were typed (empty keeps the stored ones)", () => {
    expect(slackBodyOf({ ...slackDraftOf(null), signing_secret: " abc123 " })).toEqual({ enabled: true, signing_secret: "abc123" });
    expect(slackBodyOf({ enabled: false, bot_token: "", signing_secret: "" })).toEqual({ enabled: false });
  });

  it("says what auth.test answered", () => {
    expect(slackTestSummary({ ok: true, team: "Plane", team_id: "T1", bot_user_id: "UB" })).toContain("Plane (T1)");
    expect(slackTestSummary({ ok: false, error: "invalid_auth" })).toBe("Slack refused the bot token: invalid_auth.");
  });
});
