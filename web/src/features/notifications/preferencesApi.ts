// The signed-in user's notification preferences: read from /api/me, changed with PATCH /api/me { notifications }.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";
import { meKey } from "../../api/session";

export type Preferences = Schemas["NotificationPreferences"];
export type PreferencesChange = Schemas["NotificationPreferencesWrite"];

export function useSavePreferences() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (notifications: PreferencesChange) => unwrap(api.PATCH("/api/me", { body: { notifications } })),
    onSuccess: (me) => queryClient.setQueryData(meKey, me),
  });
}
