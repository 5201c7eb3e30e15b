// Pure helpers of the signed-link confirmation page.
import { ApiError, describeError } from "../../api/problem";

/** Why a link cannot be used, in the API's own words (used, expired, unknown, decided, four-eyes). */
export function linkRefusal(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail ?? error.problem.title;
  return describeError(error);
}
