import { MyLedgerDocument } from "@reelay/client";
import { useQuery } from "urql";
import { useAccount } from "../app/account";
import { ErrorBanner } from "../components/ErrorBanner";
import { Page } from "../components/Page";
import { Pager, usePager } from "../components/Pager";
import { describeError } from "../lib/errors";
import { formatUsd } from "../lib/money";
import { formatTime } from "../lib/time";

const PAGE_SIZE = 20;

/** which way each kind of movement moves the spendable balance */
const KINDS: Record<string, { label: string; sign: "+" | "−" }> = {
  CREDIT: { label: "Credit", sign: "+" },
  DEBIT: { label: "Debit", sign: "−" },
  HOLD: { label: "Hold", sign: "−" },
  RELEASE: { label: "Release", sign: "+" },
  SETTLE: { label: "Charge", sign: "−" },
};

export default function LedgerPage() {
  const { me, stats } = useAccount();
  const pager = usePager();
  const [{ data, error, fetching }] = useQuery({
    query: MyLedgerDocument,
    variables: { first: PAGE_SIZE, after: pager.after },
    requestPolicy: "network-only",
  });
  const entries = data?.me.ledger.edges.map((e) => e.node) ?? [];
  return (
    <Page title="Ledger" intro="Every movement of your money: credit, holds for running tasks, charges and releases.">
      <dl className="stats">
        <div>
          <dt>Balance</dt>
          <dd>{formatUsd(me.balance)}</dd>
        </div>
        <div>
          <dt>Held</dt>
          <dd>{formatUsd(me.held)}</dd>
        </div>
        <div>
          <dt>Spent</dt>
          <dd>{formatUsd(stats.spent)}</dd>
        </div>
        <div>
          <dt>Tasks</dt>
          <dd>{stats.total}</dd>
        </div>
      </dl>
      <ErrorBanner problem={error ? describeError(error) : null} />
      {!data && fetching && <p className="loading">Loading…</p>}
      {data && entries.length === 0 && <p className="empty">No movements yet.</p>}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="stack">
            <caption className="visually-hidden">Ledger entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance after
                </th>
                <th scope="col">For</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => {
                const kind = KINDS[entry.kind] ?? { label: entry.kind, sign: "" };
                return (
                  <tr key={entry.id}>
                    <td data-label="When" className="nowrap">
                      {formatTime(entry.createdAt)}
                    </td>
                    <td data-label="Kind">
                      <span className={`badge kind-${entry.kind.toLowerCase()}`}>{kind.label}</span>
                    </td>
                    <td className="num" data-label="Amount">
                      {kind.sign}
                      {formatUsd(entry.amount)}
                    </td>
                    <td className="num" data-label="Balance after">
                      {formatUsd(entry.balanceAfter)}
                    </td>
                    <td data-label="For">
                      {entry.task ? `${entry.task.model} task (${entry.task.status.toLowerCase()})` : (entry.note ?? "")}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager pager={pager} pageInfo={data?.me.ledger.pageInfo} label="Ledger pages" />
    </Page>
  );
}
