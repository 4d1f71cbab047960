import { askedBeforeNote, questionOpening } from '../../src/models/resample-prompt';

describe('asking the local model again for a new question', () => {
  it('lists the questions asked so far for a chat model, once each, the refused one last', () => {
    expect(
      askedBeforeNote({
        asked: ['Why is the sky blue?', 'What is light?'],
        refused: 'Why is the sky blue?',
        attempt: 1,
      }),
    ).toBe(
      'These questions were asked already; ask a different one, about something the answer says that they do not ' +
        'cover:\n- Why is the sky blue?\n- What is light?',
    );
    const long = 'x'.repeat(500);
    expect(askedBeforeNote({ asked: [long], refused: 'Why?', attempt: 1 })).toContain(
      `- ${'x'.repeat(149)}…\n- Why?`,
    );
  });

  it('opens a base model’s question with a word the refused question does not start with, another per attempt', () => {
    expect(questionOpening({ refused: 'Why is the sky blue?', attempt: 1 })).toBe('What');
    expect(questionOpening({ refused: 'What is it?', attempt: 1 })).toBe('How');
    expect(questionOpening({ refused: 'What is it?', attempt: 2 })).toBe('Why');
    expect(questionOpening({ refused: '“what” is it?', attempt: 1 })).toBe('How');
    expect(questionOpening({ refused: 'x', attempt: 11 })).toBe('What');
  });
});
