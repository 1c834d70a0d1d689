/** The frame of every signed-in page: header with the balance, navigation, banners and the page itself. */
import { type ReactNode, useEffect, useRef, useState } from "react";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { formatUsd } from "../lib/money";
import { useAccount } from "./account";
import { useLiveTasks } from "./live-tasks";
import { Link, usePath } from "./router";

export interface PageLink {
  path: string;
  label: string;
  admin?: boolean;
}

export function Shell({ pages, title, children }: { pages: PageLink[]; title: string; children: ReactNode }) {
  const { me, isAdmin, signOut } = useAccount();
  const { connection, tasks } = useLiveTasks();
  const path = usePath();
  const [menuOpen, setMenuOpen] = useState(false);
  const firstPage = useRef(true);
  const running = tasks.filter((t) => t.status === "QUEUED" || t.status === "PROCESSING").length;

  // a new page: its title in the tab, focus on its heading (screen readers announce it), the menu closed
  useEffect(() => {
    document.title = `${title} · Reelay`;
    setMenuOpen(false);
    if (firstPage.current) firstPage.current = false;
    else document.querySelector<HTMLElement>("#main h1")?.focus();
  }, [title]);

  const visible = pages.filter((p) => !p.admin || isAdmin);
  const link = (p: PageLink) => (
    <li key={p.path}>
      <Link to={p.path} aria-current={path === p.path ? "page" : undefined}>
        {p.label}
        {p.path === "/tasks" && running > 0 && <span className="count">{running}</span>}
      </Link>
    </li>
  );
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/create" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Reelay
        </Link>
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen((o) => !o)}>
          Menu
        </button>
        <div className="account">
          <span className="who">
            {me.subject}
            {isAdmin && <span className="badge role">admin</span>}
          </span>
          <span className="balance" data-testid="balance">
            Balance <strong>{formatUsd(me.balance)}</strong>
          </span>
          <span className="held" data-testid="held">
            Held <strong>{formatUsd(me.held)}</strong>
          </span>
          <button type="button" className="small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="layout">
        <nav id="nav" className={`sidebar${menuOpen ? " open" : ""}`} aria-label="Console">
          <ul>{visible.filter((p) => !p.admin).map(link)}</ul>
          {isAdmin && (
            <>
              <h2 className="nav-heading">Admin</h2>
              <ul>{visible.filter((p) => p.admin).map(link)}</ul>
            </>
          )}
        </nav>
        <main id="main" className="main">
          <ConnectionBanner state={connection} />
          {children}
        </main>
      </div>
    </div>
  );
}
