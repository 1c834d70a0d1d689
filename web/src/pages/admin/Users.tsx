import {
  CreateUserDocument,
  DisableUserDocument,
  GrantCreditDocument,
  type Role,
  SetUserRoleDocument,
  type UserFieldsFragment,
  UsersDocument,
} from "@reelay/client";
import { type FormEvent, useDeferredValue, useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useToast } from "../../app/toasts";
import { useConfirm } from "../../components/ConfirmDialog";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Field } from "../../components/Field";
import { Page, Section } from "../../components/Page";
import { Pager, usePager } from "../../components/Pager";
import { describeError, type Problem } from "../../lib/errors";
import { formatUsd, parseMoney } from "../../lib/money";

const PAGE_SIZE = 20;

export default function UsersPage() {
  const [search, setSearch] = useState("");
  const deferred = useDeferredValue(search.trim());
  const pager = usePager();
  const [{ data, error }, reexecute] = useQuery({
    query: UsersDocument,
    variables: { first: PAGE_SIZE, after: pager.after, search: deferred || null },
  });
  const reload = () => reexecute({ requestPolicy: "network-only" });
  const users = data?.users.edges.map((e) => e.node) ?? [];
  return (
    <Page title="Users" intro="Accounts, their credit and their role. A user is also created on first sign-in with a valid token.">
      <CreateUserForm onCreated={reload} />
      <Section title="All users">
        <div className="toolbar">
          <Field label="Search by subject">
            {(c) => (
              <input
                {...c}
                type="search"
                value={search}
                onChange={(e) => {
                  setSearch(e.target.value);
                  pager.reset();
                }}
              />
            )}
          </Field>
          {data && (
            <p className="count-text">
              {data.users.totalCount} {data.users.totalCount === 1 ? "user" : "users"}
            </p>
          )}
        </div>
        <ErrorBanner problem={error ? describeError(error) : null} />
        {data && users.length === 0 && <p className="empty">No users match.</p>}
        <ul className="cards" aria-label="Users">
          {users.map((user) => (
            <UserCard key={user.id} user={user} onChanged={reload} />
          ))}
        </ul>
        <Pager pager={pager} pageInfo={data?.users.pageInfo} label="User pages" />
      </Section>
    </Page>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const [subject, setSubject] = useState("");
  const [role, setRole] = useState<Role>("USER");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, create] = useMutation(CreateUserDocument);
  const toast = useToast();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ subject: subject.trim(), role });
    if (result.error) return setProblem(describeError(result.error));
    setProblem(null);
    toast(`${subject.trim()} created`);
    setSubject("");
    onCreated();
  };
  return (
    <form className="card form inline-form" onSubmit={submit} aria-labelledby="new-user-title">
      <h2 id="new-user-title">New user</h2>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="row">
        <Field label="Subject" hint="The sub claim of the user's tokens, e.g. an e-mail address.">
          {(c) => <input {...c} required value={subject} onChange={(e) => setSubject(e.target.value)} autoComplete="off" />}
        </Field>
        <Field label="Role">
          {(c) => (
            <select {...c} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="USER">User</option>
              <option value="ADMIN">Admin</option>
            </select>
          )}
        </Field>
      </div>
      <button type="submit" className="primary" disabled={fetching}>
        Create user
      </button>
    </form>
  );
}

function UserCard({ user, onChanged }: { user: UserFieldsFragment; onChanged: () => void }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [crediting, setCrediting] = useState(false);
  const [dialog, ask] = useConfirm();
  const [, setRole] = useMutation(SetUserRoleDocument);
  const [{ fetching: disabling }, disable] = useMutation(DisableUserDocument);
  const toast = useToast();
  const changeRole = async (role: Role) => {
    const result = await setRole({ subject: user.subject, role });
    if (result.error) return setProblem(describeError(result.error));
    toast(`${user.subject} is now ${role === "ADMIN" ? "an admin" : "a user"}`);
    onChanged();
  };
  const doDisable = async () => {
    const yes = await ask({
      title: `Disable ${user.subject}?`,
      body: <p>Their tokens and API keys are refused from now on; tasks already running finish.</p>,
      confirm: "Disable",
      danger: true,
    });
    if (!yes) return;
    const result = await disable({ subject: user.subject });
    if (result.error) return setProblem(describeError(result.error));
    toast(`${user.subject} disabled`);
    onChanged();
  };
  return (
    <li className="card user" data-subject={user.subject}>
      {dialog}
      <div className="task-head">
        <h3 className="card-title">{user.subject}</h3>
        <div className="badges">
          {user.role === "ADMIN" && <span className="badge role">admin</span>}
          {user.disabledAt && <span className="badge status-failed">Disabled</span>}
        </div>
      </div>
      <dl className="stats compact">
        <div>
          <dt>Balance</dt>
          <dd data-testid="user-balance">{formatUsd(user.balance)}</dd>
        </div>
        <div>
          <dt>Held</dt>
          <dd>{formatUsd(user.held)}</dd>
        </div>
        <div>
          <dt>Spent</dt>
          <dd>{formatUsd(user.spent)}</dd>
        </div>
      </dl>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      {crediting && (
        <CreditForm
          user={user}
          onDone={(granted) => {
            setCrediting(false);
            if (granted) onChanged();
          }}
          onProblem={setProblem}
        />
      )}
      <div className="actions">
        {!crediting && (
          <button type="button" className="small" onClick={() => setCrediting(true)}>
            Add credit <span className="visually-hidden">for {user.subject}</span>
          </button>
        )}
        <Field label={<span className="visually-hidden">Role of {user.subject}</span>} className="inline-field">
          {(c) => (
            <select {...c} value={user.role} onChange={(e) => changeRole(e.target.value as Role)} disabled={Boolean(user.disabledAt)}>
              <option value="USER">User</option>
              <option value="ADMIN">Admin</option>
            </select>
          )}
        </Field>
        {!user.disabledAt && (
          <button type="button" className="danger small" onClick={doDisable} disabled={disabling}>
            Disable <span className="visually-hidden">{user.subject}</span>
          </button>
        )}
      </div>
    </li>
  );
}

/** Adds credit (or, with a minus sign, takes it away) with a note for the ledger. */
function CreditForm({
  user,
  onDone,
  onProblem,
}: {
  user: UserFieldsFragment;
  onDone: (granted: boolean) => void;
  onProblem: (p: Problem | null) => void;
}) {
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  const [{ fetching }, grant] = useMutation(GrantCreditDocument);
  const toast = useToast();
  const valid = parseMoney(amount) !== null;
  const amountInput = useRef<HTMLInputElement>(null);
  // the form opens because someone asked to type an amount
  useEffect(() => amountInput.current?.focus(), []);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await grant({ subject: user.subject, amount: amount.trim(), note: note.trim() || null });
    if (result.error) return onProblem(describeError(result.error));
    onProblem(null);
    toast(`${formatUsd(amount.trim())} to ${user.subject}; balance ${formatUsd(result.data!.grantCredit.balance)}`);
    onDone(true);
  };
  return (
    <form className="credit-form" onSubmit={submit} aria-label={`Credit for ${user.subject}`}>
      <div className="row">
        <Field
          label="Amount (USD)"
          hint="A minus sign takes credit away."
          error={amount && !valid ? "An amount such as 10 or 2.50" : undefined}
        >
          {(c) => (
            <input
              {...c}
              ref={amountInput}
              inputMode="decimal"
              required
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              placeholder="10.00"
            />
          )}
        </Field>
        <Field label="Note" hint="Kept on the ledger.">
          {(c) => <input {...c} value={note} onChange={(e) => setNote(e.target.value)} placeholder="Monthly top-up" />}
        </Field>
      </div>
      <div className="actions">
        <button type="button" className="small" onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="submit" className="small primary" disabled={fetching || !valid}>
          Grant credit
        </button>
      </div>
    </form>
  );
}
