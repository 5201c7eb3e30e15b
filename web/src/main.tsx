// Entry point: query client, router, and the 401 handler that sends an expired session to sign-in.
import "./styles.css";

import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router/dom";

import { setUnauthorizedHandler } from "./api/client";
import { createQueryClient } from "./api/queryClient";
import { createAppRouter } from "./app/routes";
import { meKey } from "./api/session";

const queryClient = createQueryClient();
const router = createAppRouter();

setUnauthorizedHandler(() => {
  const { pathname, search } = router.state.location;
  if (pathname === "/sign-in") return;
  queryClient.clear();
  queryClient.setQueryData(meKey, null);
  void router.navigate(`/sign-in?next=${encodeURIComponent(pathname + search)}`, { replace: true });
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
