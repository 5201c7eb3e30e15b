// Service levels: the tenant's business calendars (with the iCalendar holiday import) and SLA policies.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type SlaPolicy = Schemas["PolicyRead"];
export type SlaPolicyIn = Schemas["PolicyIn"];
export type BusinessCalendar = Schemas["CalendarRead"];
export type BusinessCalendarIn = Schemas["CalendarIn"];

export const slaKeys = {
  all: ["sla"] as const,
  policies: ["sla", "policies"] as const,
  calendars: ["sla", "calendars"] as const,
};

/** The tenant's SLA policies, up to one full page (a tenant has a handful). */
export function useSlaPolicies() {
  return useQuery({
    queryKey: slaKeys.policies,
    queryFn: ({ signal }) => unwrap(api.GET("/api/sla/policies", { params: { query: { limit: 200 } }, signal })),
  });
}

/** The tenant's business calendars, up to one full page. */
export function useBusinessCalendars() {
  return useQuery({
    queryKey: slaKeys.calendars,
    queryFn: ({ signal }) => unwrap(api.GET("/api/sla/calendars", { params: { query: { limit: 200 } }, signal })),
  });
}

function useInvalidating<T, R>(mutationFn: (input: T) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn, onSuccess: () => queryClient.invalidateQueries({ queryKey: slaKeys.all }) });
}

export function useSaveCalendar() {
  return useInvalidating(({ id, body }: { id?: string | undefined; body: BusinessCalendarIn }) =>
    id
      ? unwrap(api.PUT("/api/sla/calendars/{calendar_id}", { params: { path: { calendar_id: id } }, body }))
      : unwrap(api.POST("/api/sla/calendars", { body })),
  );
}

export function useDeleteCalendar() {
  return useInvalidating((id: string) => unwrap(api.DELETE("/api/sla/calendars/{calendar_id}", { params: { path: { calendar_id: id } } })));
}

export function useImportHolidays() {
  return useInvalidating(({ id, ics, replace }: { id: string; ics: string; replace: boolean }) =>
    unwrap(api.POST("/api/sla/calendars/{calendar_id}/holidays/import", { params: { path: { calendar_id: id } }, body: { ics, replace } })),
  );
}

export function useSavePolicy() {
  return useInvalidating(({ id, body }: { id?: string | undefined; body: SlaPolicyIn }) =>
    id
      ? unwrap(api.PUT("/api/sla/policies/{policy_id}", { params: { path: { policy_id: id } }, body }))
      : unwrap(api.POST("/api/sla/policies", { body })),
  );
}

export function useDeletePolicy() {
  return useInvalidating((id: string) => unwrap(api.DELETE("/api/sla/policies/{policy_id}", { params: { path: { policy_id: id } } })));
}
