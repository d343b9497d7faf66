import type { PlanResponse } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { errorMessage } from '../../api/messages';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Alert } from '../../components/Feedback';
import { useRetirePlan, useSavePlan } from './plan-hooks';
import { draftFromPlan, planFromDraft, type PlanDraft } from './plan-form';

/**
 * One open plan's name and monthly limits, edited in place (blank limits are unlimited), and the
 * way to retire it.
 */
export function PlanEditorRow({ plan }: { plan: PlanResponse }): ReactElement {
  const save = useSavePlan();
  const retire = useRetirePlan();
  const [confirmRetire, setConfirmRetire] = useState(false);
  const [draft, setDraft] = useState<PlanDraft>(() => draftFromPlan(plan));
  const [errors, setErrors] = useState<Partial<Record<keyof PlanDraft, string>>>({});
  const saved = draftFromPlan(plan);
  const unchanged =
    draft.name === saved.name &&
    draft.requests === saved.requests &&
    draft.dollars === saved.dollars;

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    save.reset();
    const result = planFromDraft(draft);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    save.mutate(
      { id: plan.id, input: { ...result.value, sortOrder: plan.sortOrder } },
      {
        onSuccess: (updated) => {
          setDraft(draftFromPlan(updated));
        },
      },
    );
  }

  const field = (name: keyof PlanDraft, label: string, placeholder: string): ReactElement => (
    <label className="plan-editor__field">
      <span className="plan-editor__label">{label}</span>
      <input
        className="input"
        value={draft[name]}
        placeholder={placeholder}
        inputMode={name === 'name' ? 'text' : 'decimal'}
        aria-invalid={errors[name] ? true : undefined}
        onChange={(event) => {
          setDraft({ ...draft, [name]: event.target.value });
        }}
      />
      {errors[name] && <span className="field__errors">{errors[name]}</span>}
    </label>
  );

  return (
    <li className="plan-editor" data-testid="plan-editor" data-plan={plan.id}>
      <form
        className="plan-editor__form"
        noValidate
        onSubmit={submit}
        aria-label={`Plan ${plan.name}`}
      >
        <span className="plan-editor__id mono">{plan.id}</span>
        {field('name', 'Name', 'Plan name')}
        {field('requests', 'Requests a month', 'Unlimited')}
        {field('dollars', 'Spend a month ($)', 'Unlimited')}
        <div className="plan-editor__actions">
          <button
            type="submit"
            className="button button--primary button--small"
            disabled={unchanged || save.isPending}
          >
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            className="button button--danger-ghost button--small"
            disabled={retire.isPending}
            onClick={() => {
              retire.reset();
              setConfirmRetire(true);
            }}
          >
            {retire.isPending ? 'Retiring…' : 'Retire'}
          </button>
          {save.isSuccess && unchanged && (
            <span className="plan-editor__saved" role="status">
              Saved
            </span>
          )}
        </div>
      </form>
      {save.isError && (
        <p className="cell-error" role="alert">
          {errorMessage(save.error)}
        </p>
      )}
      {/* In the row, not the dialog: the reason (users still on the plan) stays in view while
          the admin goes to move them. */}
      {retire.isError && (
        <Alert title={`Could not retire ${plan.name}`}>{errorMessage(retire.error)}</Alert>
      )}
      {confirmRetire && (
        <ConfirmDialog
          title={`Retire the ${plan.name} plan?`}
          confirmLabel="Retire plan"
          pendingLabel="Retiring…"
          pending={false}
          error={null}
          onClose={() => {
            setConfirmRetire(false);
          }}
          onConfirm={() => {
            retire.mutate(plan.id);
            setConfirmRetire(false);
          }}
        >
          <p>
            Only a plan no one is on can be retired. Users can no longer ask for{' '}
            <strong>{plan.name}</strong> and admins can no longer move anyone to it; its pending
            upgrade requests are declined. It stays listed under retired plans, where you can open
            it again.
          </p>
        </ConfirmDialog>
      )}
    </li>
  );
}
