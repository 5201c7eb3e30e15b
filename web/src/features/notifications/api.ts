// Notification channels (list, create, replace, delete, send a test) and their deliveries (list, retry).
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type Channel = Schemas["ChannelRead"];
export type ChannelWrite = Schemas["ChannelWrite"];
export type Delivery = Schemas["DeliveryRead"];
export type DeliveryStatus = Delivery["status"];

export const notificationsKeys = {
  channels: (cursor: string | undefined) => ["notifications", "channels", cursor ?? ""] as const,
  deliveries: (filters: { status?: string; channelId?: string; cursor?: string }) => ["notifications", "deliveries", filters] as const,
};

export function useChannels(cursor: string | undefined) {
  return useQuery({
    queryKey: notificationsKeys.channels(cursor),
    queryFn: ({ signal }) => unwrap(api.GET("/api/notifications/channels", { params: { query: { cursor, limit: 50 } }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useSaveChannel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: ChannelWrite }) =>
      id
        ? unwrap(api.PUT("/api/notifications/channels/{channel_id}", { params: { path: { channel_id: id } }, body }))
        : unwrap(api.POST("/api/notifications/channels", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["notifications", "channels"] }),
  });
}

export function useDeleteChannel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/notifications/channels/{channel_id}", { params: { path: { channel_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["notifications", "channels"] }),
  });
}

export function useTestChannel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/notifications/channels/{channel_id}/test", { params: { path: { channel_id: id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["notifications", "deliveries"] }),
  });
}

/** Deliveries, newest first; `poll` keeps asking while some are still on their way. */
export function useDeliveries(filters: { status?: string; channelId?: string; cursor?: string }, options: { poll?: number | false; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: notificationsKeys.deliveries(filters),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/notifications/deliveries", {
          params: {
            query: {
              status: (filters.status || undefined) as DeliveryStatus | undefined,
              channel_id: filters.channelId,
              cursor: filters.cursor,
              limit: 25,
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: options.poll ?? false,
    enabled: options.enabled ?? true,
  });
}

export function useRetryDelivery() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/notifications/deliveries/{delivery_id}/retry", { params: { path: { delivery_id: id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["notifications", "deliveries"] }),
  });
}
