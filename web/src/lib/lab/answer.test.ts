import { describe, expect, it } from 'vitest';
import type { Finding } from '../../wire';
import { answerOf, emptyChartText } from './answer';
import { headlineIndex } from './verdict';

const closed: Finding = { id: 'closed-first', level: 'info', text: 'The server closed 27 of 30 connections first', evidence: [] };
const reuse: Finding = { id: 'reuse', level: 'bad', text: 'Not reused: 30 connections for 30 requests', evidence: [] };
const stopped: Finding = { id: 'completed', level: 'warn', text: 'Run stopped before the end: evidence may be partial', evidence: [] };

describe('the answer under the question', () => {
  it("is the server's answer when it sends one", () => {
    expect(answerOf({ answer: 'The server closed 27 of 30 first → 27 TIME_WAIT on the server', findings: [reuse], status: 'completed' })).toEqual({
      text: 'The server closed 27 of 30 first → 27 TIME_WAIT on the server',
      from: 'server',
      final: true,
      partial: false,
    });
  });

  it("else the verdict's first finding, live while running", () => {
    expect(answerOf({ findings: [closed, reuse], status: 'running' })).toEqual({ text: closed.text, from: 'finding', final: false, partial: false });
    expect(answerOf({ answer: '  ', findings: [reuse, closed], status: 'completed' })?.text).toBe(reuse.text);
  });

  it('passes over the unfinished-run warning and marks the answer partial', () => {
    expect(answerOf({ findings: [stopped, closed], status: 'stopped' })).toEqual({ text: closed.text, from: 'finding', final: true, partial: true });
    expect(answerOf({ findings: [stopped], status: 'failed' })).toBeNull();
    expect(answerOf({ findings: [], status: 'running' })).toBeNull();
  });

  it("the card's headline is the same finding", () => {
    expect(headlineIndex([closed, reuse])).toBe(0);
    expect(headlineIndex([stopped, closed, reuse])).toBe(1);
    expect(headlineIndex([stopped])).toBe(-1);
  });

  it('an empty chart of a finished run says why', () => {
    expect(emptyChartText(false)).toBe('no sockets yet');
    expect(emptyChartText(true)).toBe('no socket outlived a poll: see the swimlanes');
  });
});
