// The Slack settings form's draft: secrets are write-only, so an empty field means "keep the stored one".
import type { SlackApp, SlackAppWrite, SlackTest } from "./api";

export type SlackDraft = { enabled: boolean; bot_token: string; signing_secret: string };

export function slackDraftOf(app: SlackApp | null): SlackDraft {
  return { enabled: app?.enabled ?? true, bot_token: "", signing_secret: "" };
}

export function slackBodyOf(draft: SlackDraft): SlackAppWrite {
  const body: SlackAppWrite = { enabled: draft.enabled };
  if (draft.bot_token.trim()) body.bot_token = draft.bot_token.trim();
  if (draft.signing_secret.trim()) body.signing_secret = draft.signing_secret.trim();
  return body;
}

export function slackTestSummary(result: SlackTest): string {
  if (!result.ok) return `Slack refused the bot token: ${result.error ?? "unknown error"}.`;
  return `Connected to the workspace ${result.team ?? "?"} (${result.team_id ?? "?"}) as bot user ${result.bot_user_id ?? "?"}.`;
}
