/** The console: the sign-in page until a key is accepted, then the pages of the signed-in user. */
import { type ComponentType, lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { Provider } from "urql";
import type { Problem } from "../lib/errors";
import { CreatePage } from "../pages/Create";
import { SignInPage } from "../pages/SignIn";
import { AccountProvider, useAccount } from "./account";
import { LiveTasksProvider } from "./live-tasks";
import { navigate, usePath } from "./router";
import { type PageLink, Shell } from "./Shell";
import { isProblem, type Session, startSession, storedKey } from "./session";
import { ToastProvider } from "./toasts";

// the pages beyond the first are loaded when first opened, so sign-in and Create load quickly
const TasksPage = lazy(() => import("../pages/Tasks"));
const GalleryPage = lazy(() => import("../pages/Gallery"));
const LedgerPage = lazy(() => import("../pages/Ledger"));
const KeysPage = lazy(() => import("../pages/Keys"));
const ChannelsPage = lazy(() => import("../pages/admin/Channels"));
const UsersPage = lazy(() => import("../pages/admin/Users"));
const PricesPage = lazy(() => import("../pages/admin/Prices"));
const MediaBacklogPage = lazy(() => import("../pages/admin/MediaBacklog"));

interface Route extends PageLink {
  Component: ComponentType;
}

const ROUTES: Route[] = [
  { path: "/create", label: "Create", Component: CreatePage },
  { path: "/tasks", label: "Tasks", Component: TasksPage },
  { path: "/gallery", label: "Gallery", Component: GalleryPage },
  { path: "/ledger", label: "Ledger", Component: LedgerPage },
  { path: "/keys", label: "API keys", Component: KeysPage },
  { path: "/admin/channels", label: "Channels", admin: true, Component: ChannelsPage },
  { path: "/admin/users", label: "Users", admin: true, Component: UsersPage },
  { path: "/admin/prices", label: "Prices", admin: true, Component: PricesPage },
  { path: "/admin/media", label: "Media backlog", admin: true, Component: MediaBacklogPage },
];

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);
  const current = useRef<Session | null>(null);
  const restored = useRef(false);

  const signOut = useCallback((why: Problem | null = null) => {
    current.current?.end();
    current.current = null;
    setSession(null);
    setProblem(why);
  }, []);

  const signIn = useCallback(
    async (key: string) => {
      setProblem(null); // the last refusal is not this attempt's
      const started = await startSession(key, (refused) => signOut(refused));
      if (isProblem(started)) {
        setProblem(started);
        return false;
      }
      current.current = started;
      setProblem(null);
      setSession(started);
      return true;
    },
    [signOut],
  );

  // a key kept by this tab (a reload) signs in again by itself
  useEffect(() => {
    const key = storedKey();
    if (!key || restored.current) return;
    restored.current = true;
    void signIn(key).finally(() => setChecking(false));
  }, [signIn]);

  return (
    <ToastProvider>
      {session ? (
        <Provider value={session.urql.client}>
          <AccountProvider session={session} signOut={() => signOut()} onRefused={signOut}>
            <LiveTasksProvider>
              <Pages />
            </LiveTasksProvider>
          </AccountProvider>
        </Provider>
      ) : (
        <SignInPage onSignIn={signIn} problem={problem} checking={checking} />
      )}
    </ToastProvider>
  );
}

function Pages() {
  const path = usePath();
  const { isAdmin } = useAccount();
  const route = ROUTES.find((r) => r.path === path && (!r.admin || isAdmin));
  useEffect(() => {
    if (!route) navigate("/create", { replace: true });
  }, [route]);
  const shown = route ?? ROUTES[0];
  return (
    <Shell pages={ROUTES} title={shown.label}>
      <Suspense fallback={<p className="loading">Loading…</p>}>
        <shown.Component />
      </Suspense>
    </Shell>
  );
}
