// Signed action links from approval notices: read what a link decides, and post its decision. The token in the path
// is the credential, so these calls need no session (the confirmation page works before anyone signs in).
import { useMutation, useQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type ActionLink = Schemas["ActionLinkRead"];
export type ActionLinkResult = Schemas["ActionLinkResult"];
export type ActionSubject = Schemas["SubjectRead"];

export const actionLinkKey = (token: string) => ["action-links", token] as const;

export function useActionLink(token: string) {
  return useQuery({
    queryKey: actionLinkKey(token),
    queryFn: ({ signal }) => unwrap(api.GET("/api/action-links/{token}", { params: { path: { token } }, signal })),
    retry: false,
    refetchOnWindowFocus: false,
  });
}

export function useDecideByLink(token: string) {
  return useMutation({
    mutationFn: (comment: string) =>
      unwrap(api.POST("/api/action-links/{token}", { params: { path: { token } }, body: { comment: comment || null } })),
  });
}
