import { describe, expect, it, jest } from '@jest/globals';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { EMPTY_EVENT_FILTERS, type EventFilterValues } from './event-filters';
import { EventFilters } from './EventFilters';

function setup(applied: EventFilterValues = EMPTY_EVENT_FILTERS) {
  const onApply = jest.fn<(values: EventFilterValues) => void>();
  render(
    <EventFilters
      applied={applied}
      onApply={onApply}
      routes={['/v1/chat/completions', '/v1/models']}
      models={['openai/gpt-4o-mini']}
    />,
  );
  return { onApply, user: userEvent.setup() };
}

describe('EventFilters', () => {
  it('applies text filters on submit only, trimmed', async () => {
    const { onApply, user } = setup();
    await user.type(screen.getByLabelText('Route'), ' /v1/models ');
    await user.type(screen.getByLabelText('Model'), 'openai/gpt-4o-mini');
    expect(onApply).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(onApply).toHaveBeenLastCalledWith({
      route: '/v1/models',
      model: 'openai/gpt-4o-mini',
      status: '',
    });
  });

  it('applies Enter in a text box like the button', async () => {
    const { onApply, user } = setup();
    await user.type(screen.getByLabelText('Model'), 'anthropic/claude{Enter}');
    expect(onApply).toHaveBeenLastCalledWith({ route: '', model: 'anthropic/claude', status: '' });
  });

  it('applies a status at once, keeping the typed text', async () => {
    const { onApply, user } = setup();
    await user.type(screen.getByLabelText('Route'), '/v1/models');
    await user.selectOptions(screen.getByLabelText('Status'), '4xx');
    expect(onApply).toHaveBeenLastCalledWith({ route: '/v1/models', model: '', status: '4xx' });
  });

  it('offers Clear only while filtered, and clears every filter', async () => {
    const { onApply, user } = setup({ route: '/v1/models', model: '', status: '5xx' });
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    expect(onApply).toHaveBeenLastCalledWith(EMPTY_EVENT_FILTERS);
    expect(screen.getByLabelText<HTMLInputElement>('Route').value).toBe('');
  });

  it('suggests the routes and models seen in the period', () => {
    setup();
    const options = [...document.querySelectorAll('datalist option')].map((o) =>
      o.getAttribute('value'),
    );
    expect(options).toEqual(['/v1/chat/completions', '/v1/models', 'openai/gpt-4o-mini']);
  });
});
