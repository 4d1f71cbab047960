import {
  chatTemplateCheck,
  completionOptions,
  completionText,
  DEFAULT_FRAMING,
  dialogue,
  firstQuestion,
  hasChatTemplate,
  nextAnswerPrompt,
  nextQuestionPrompt,
  STOP_SEQUENCES,
} from '../../src/models/base-model-prompt';
import { BASE_TEMPLATE, CHAT_TEMPLATE } from '../helpers/ollama-client';

describe('hasChatTemplate', () => {
  it.each([
    ['Ollama’s pass-through default', BASE_TEMPLATE],
    ['no template', undefined],
    ['an empty template', ''],
    ['actions and whitespace only', '{{- if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}\n'],
  ])('is false for %s', (_label, template) => {
    expect(hasChatTemplate(template)).toBe(false);
  });

  it.each([
    ['Gemma’s', CHAT_TEMPLATE],
    ['a ChatML', '{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}'],
    ['a legacy prompt/response', '[INST] {{ .Prompt }} [/INST]'],
  ])('is true for %s template', (_label, template) => {
    expect(hasChatTemplate(template)).toBe(true);
  });
});

describe('chatTemplateCheck', () => {
  it('asks once per model and remembers the verdict', async () => {
    const show = jest.fn(async ({ model }: { model: string }) => ({
      template: model === 'chat' ? CHAT_TEMPLATE : BASE_TEMPLATE,
    }));
    const check = chatTemplateCheck(show);
    await expect(Promise.all([check('base'), check('base'), check('chat')])).resolves.toEqual([
      false,
      false,
      true,
    ]);
    await expect(check('chat')).resolves.toBe(true);
    expect(show.mock.calls).toEqual([[{ model: 'base' }], [{ model: 'chat' }]]);
  });

  it('forgets a failed look-up', async () => {
    const show = jest
      .fn()
      .mockRejectedValueOnce(new Error('connection refused'))
      .mockResolvedValue({ template: BASE_TEMPLATE });
    const check = chatTemplateCheck(show);
    await expect(check('m')).rejects.toThrow('connection refused');
    await expect(check('m')).resolves.toBe(false);
    expect(show).toHaveBeenCalledTimes(2);
  });
});

describe('transcripts', () => {
  it('writes one line per turn, its whitespace folded', () => {
    expect(
      dialogue([
        { label: 'Question', text: ' What is it?\n' },
        { label: 'Answer', text: 'A thing.\n\nWith  parts.' },
      ]),
    ).toBe('Question: What is it?\nAnswer: A thing. With parts.');
  });

  it('asks for the next answer after the chat history, framed by the system prompt', () => {
    const history = [
      { role: 'user' as const, content: 'Tell me about trees' },
      { role: 'assistant' as const, content: 'Trees are plants.' },
      { role: 'user' as const, content: 'Why are they tall?' },
    ];
    expect(nextAnswerPrompt(history, 'A botanist answers.')).toBe(
      'A botanist answers.\n\n' +
        'Question: Tell me about trees\nAnswer: Trees are plants.\nQuestion: Why are they tall?\nAnswer:',
    );
    expect(nextAnswerPrompt(history.slice(0, 1))).toBe(
      `${DEFAULT_FRAMING}\n\nQuestion: Tell me about trees\nAnswer:`,
    );
  });

  it('asks for the next question after the conversation, each exchange through a template when one is given', () => {
    const exchanges = [
      { question: 'Why?', answer: 'Because.' },
      { question: 'How?', answer: 'Slowly.' },
    ];
    expect(nextQuestionPrompt({ exchanges: exchanges.slice(0, 1) })).toBe(
      `${DEFAULT_FRAMING}\n\nQuestion: Why?\nAnswer: Because.\nQuestion:`,
    );
    expect(nextQuestionPrompt({ exchanges })).toBe(
      `${DEFAULT_FRAMING}\n\nQuestion: Why?\nAnswer: Because.\nQuestion: How?\nAnswer: Slowly.\nQuestion:`,
    );
    const template = (e: { question: string; answer: string }) => `${e.answer} So? `;
    expect(nextQuestionPrompt({ exchanges, framing: 'A child asks.', template })).toBe(
      'A child asks.\n\nBecause. So?\nQuestion: How?\nSlowly. So?\nQuestion:',
    );
  });

  it('is append-only: the prompt after one more exchange starts with the exact text of the one before', () => {
    const exchanges = [
      { question: ' Why  is the\nsky blue? ', answer: 'Light\tscatters.  ' },
      { question: 'What scatters?', answer: 'Air molecules do.' },
      { question: 'Which colour most?', answer: 'Blue.' },
    ];
    const template = (e: { question: string; answer: string }) => `\nThe expert said: ${e.answer}\n`;
    for (const options of [{}, { template }, { framing: ' A persona. ' }]) {
      const prompts = [1, 2, 3].map((n) =>
        nextQuestionPrompt({ ...options, exchanges: exchanges.slice(0, n) }),
      );
      expect(prompts[1]!.startsWith(prompts[0]!)).toBe(true);
      expect(prompts[2]!.startsWith(prompts[1]!)).toBe(true);
    }
  });
});

describe('completions', () => {
  it('samples with a repeat penalty and stops at a blank line or the next label', () => {
    expect(STOP_SEQUENCES).toEqual(['\n\n', 'Question:', 'Answer:']);
    expect(completionOptions({ maxTokens: 48 })).toMatchObject({
      num_predict: 48,
      temperature: 0.8,
      top_p: 0.9,
      repeat_penalty: expect.any(Number),
      stop: STOP_SEQUENCES,
    });
    expect(completionOptions({ maxTokens: 9, temperature: 0.1, topP: 0.5 })).toMatchObject({
      num_predict: 9,
      temperature: 0.1,
      top_p: 0.5,
    });
  });

  it('trims the turn and cuts a next label left dangling at its end', () => {
    expect(completionText(' Trees are plants.\n')).toBe('Trees are plants.');
    expect(completionText(' They cannot be predicted. Question')).toBe('They cannot be predicted.');
    expect(completionText('The model is supervised.\nAnswer ')).toBe('The model is supervised.');
    expect(completionText('Which is the right Answer')).toBe('Which is the right Answer');
  });

  it('ends the turn before a clause the model already said in it', () => {
    const loop =
      'It is a kind of computer science. It is also called machine learning. It is a kind of computer science. ' +
      'It is a kind of';
    expect(completionText(loop)).toBe(
      'It is a kind of computer science. It is also called machine learning.',
    );
    expect(completionText('Yes!\nyes. No?')).toBe('Yes!');
    expect(completionText('Data is data. Data is data, really.')).toBe('Data is data.');
    expect(completionText('Data is data. Data moves fast, really.')).toBe(
      'Data is data. Data moves fast, really.',
    );
  });

  it('ends the turn where it goes on varying the same phrase (a loop of the real model, seen in a CI run)', () => {
    const loop =
      '“A new product is a product that is new and different from the products we already have. It can be a new ' +
      'product for a new market, a new product for a new industry, or a new product for a new customer. It can ' +
      'also be a new product for a new customer.';
    expect(completionText(loop)).toBe(
      '“A new product is a product that is new and different from the products we already have. It can be a new ' +
        'product for a new market',
    );
    expect(completionText('Learning is fun. the model the model the model the model the model')).toBe(
      'Learning is fun.',
    );
    // Lists and ordinary prose are left whole.
    const prose = 'Cats, dogs and birds are pets. They need food, water and care, and they live for years.';
    expect(completionText(prose)).toBe(prose);
  });

  it('keeps the first question and drops the answer the model gave itself', () => {
    expect(firstQuestion(' What is AI? AI is software that learns. ')).toBe('What is AI?');
    expect(firstQuestion(' Tell me more about trees \n')).toBe('Tell me more about trees');
    expect(firstQuestion('Tell me more about trees.\nQuestion')).toBe('Tell me more about trees.');
  });
});
