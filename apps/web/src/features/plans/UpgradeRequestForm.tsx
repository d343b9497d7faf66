import { CreateUpgradeRequest, type PlanResponse } from '@keyward/shared';
import { useId, useState, type ReactElement, type SubmitEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Alert } from '../../components/Feedback';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  validateRequest,
  type FieldErrors,
} from '../auth/validation';
import { useRequestUpgrade } from './hooks';
import { planLimitsText } from './plan-format';

interface UpgradeRequestFormProps {
  plans: readonly PlanResponse[];
  currentPlanId: string;
}

const MESSAGE_MAX = 1000;

/** Pick another plan and say why; an admin decides. No payment is taken. */
export function UpgradeRequestForm({
  plans,
  currentPlanId,
}: UpgradeRequestFormProps): ReactElement {
  const id = useId();
  const submit = useRequestUpgrade();
  const choices = plans.filter((plan) => plan.id !== currentPlanId);
  const [planId, setPlanId] = useState(choices[0]?.id ?? '');
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    submit.reset();
    const plain: Record<string, unknown> = { planId };
    if (message.trim()) plain.message = message;
    const result = await validateRequest(CreateUpgradeRequest, plain);
    if (!result.ok) {
      setErrors(result.errors);
      focusFirstInvalid(form);
      return;
    }
    setErrors({});
    submit.mutate(result.value, {
      onError: (error) => {
        if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
      },
    });
  }

  if (choices.length === 0) {
    return <p className="empty-note">There is no other plan to move to.</p>;
  }

  return (
    <form
      className="form"
      noValidate
      aria-label="Request a plan change"
      onSubmit={(event) => void handleSubmit(event)}
    >
      {submit.isError && Object.keys(errors).length === 0 && (
        <Alert title="Could not send the request">{errorMessage(submit.error)}</Alert>
      )}
      <fieldset className="plan-choices">
        <legend className="field__label">Plan</legend>
        {choices.map((plan) => (
          <label key={plan.id} className="plan-choice">
            <input
              type="radio"
              name={`${id}-plan`}
              value={plan.id}
              checked={planId === plan.id}
              onChange={() => {
                setPlanId(plan.id);
              }}
            />
            <span>
              <span className="plan-choice__name">{plan.name}</span>
              <span className="plan-choice__limits">{planLimitsText(plan)}</span>
            </span>
          </label>
        ))}
        {errors.planId && (
          <ul className="field__errors">
            {errors.planId.map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
        )}
      </fieldset>
      <div className="field">
        <label className="field__label" htmlFor={`${id}-message`}>
          Message <span className="field__optional">(optional)</span>
        </label>
        <textarea
          id={`${id}-message`}
          className="input textarea"
          rows={3}
          maxLength={MESSAGE_MAX}
          placeholder="What you need the higher limits for"
          value={message}
          aria-invalid={errors.message ? true : undefined}
          onChange={(event) => {
            setMessage(event.target.value);
          }}
        />
        {errors.message && (
          <ul className="field__errors">
            {errors.message.map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
        )}
      </div>
      <div className="settings-card__actions">
        <button className="button button--primary" disabled={submit.isPending || planId === ''}>
          {submit.isPending ? 'Sending…' : 'Request upgrade'}
        </button>
      </div>
    </form>
  );
}
