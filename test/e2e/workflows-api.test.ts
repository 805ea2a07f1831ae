// Workflows stored and queried through the official SDK: the seed's two example topologies round-trip
// field for field, by ids (with NonExistIDs), by name and page by page; validation names the node.
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { SEED_WORKFLOW_1_CREATE, SEED_WORKFLOW_2_CREATE, SEED_WORKFLOW_LIST_RESPONSE } from '../fixtures/seed-workflows.js';

const BUCKET = 'test-1234567890';
const parser = new XMLParser({ parseTagValue: false });
const documented = [parser.parse(SEED_WORKFLOW_LIST_RESPONSE).Response.MediaWorkflowList].flat();

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
const ids: string[] = [];
const req = (o: Parameters<typeof ciRequest>[1]) => ciRequest(cos, { bucket: BUCKET, ...o });

beforeAll(async () => {
  engine = await startTestEngine();
  cos = cosClient(engine.api.url);
  for (const body of [SEED_WORKFLOW_1_CREATE, SEED_WORKFLOW_2_CREATE]) {
    const res = await req({ Method: 'POST', Key: 'workflow', Body: body });
    expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
    ids.push(res.body.Response.MediaWorkflow.WorkflowId);
  }
});
afterAll(() => engine.close());

/** A workflow as read back, compared with the documented one: same fields, same order of keys. */
function expectSameWorkflow(got: any, doc: any, id: string): void {
  expect(got.WorkflowId).toBe(id);
  expect(got.BucketId).toBe(BUCKET);
  expect(got.Name).toBe(doc.Name);
  expect(got.State).toBe(doc.State);
  expect(got.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/);
  expect(got.Topology).toEqual(doc.Topology);
  expect(JSON.stringify(got.Topology)).toBe(JSON.stringify(doc.Topology));
}

describe('workflow query API with the seed examples', () => {
  it('answers create with the documented MediaWorkflow', async () => {
    const res = await req({ Method: 'GET', Key: 'workflow', Query: { ids: ids[0]! } });
    expect(Object.keys(res.body.Response.MediaWorkflowList)).toEqual([
      'Name',
      'State',
      'WorkflowId',
      'BucketId',
      'CreateTime',
      'UpdateTime',
      'Topology',
    ]);
  });

  it('reads both back by ids, listing unknown ids in NonExistIDs (request 1 of the page)', async () => {
    const res = await req({ Method: 'GET', Key: 'workflow', Query: { ids: `${ids[0]},A,B` } });
    expect(res.statusCode).toBe(200);
    expect(res.body.Response.RequestId).toBe(res.headers['x-ci-request-id']);
    expectSameWorkflow(res.body.Response.MediaWorkflowList, documented[0], ids[0]!);
    expect(res.body.Response.NonExistIDs).toEqual(['A', 'B']);
    expect(res.body.Response.TotalCount).toBeUndefined();
  });

  it('lists them page by page (request 2 of the page)', async () => {
    const all = await req({ Method: 'GET', Key: 'workflow', Query: { pageNumber: '1', pageSize: '10' } });
    expect(all.body.Response).toMatchObject({ TotalCount: '2', PageNumber: '1', PageSize: '10' });
    all.body.Response.MediaWorkflowList.forEach((w: any, i: number) => expectSameWorkflow(w, documented[i], ids[i]!));
    for (const page of [1, 2]) {
      const res = await req({ Method: 'GET', Key: 'workflow', Query: { pageNumber: String(page), pageSize: '1' } });
      expect(res.body.Response.TotalCount).toBe('2');
      expectSameWorkflow(res.body.Response.MediaWorkflowList, documented[page - 1], ids[page - 1]!);
    }
  });

  it('finds one by name', async () => {
    const res = await req({ Method: 'GET', Key: 'workflow', Query: { name: 'workflow-2' } });
    expect(res.body.Response.TotalCount).toBe('1');
    expectSameWorkflow(res.body.Response.MediaWorkflowList, documented[1], ids[1]!);
  });

  it('refuses to activate a workflow with node types the engine does not run, naming them; it stays readable', async () => {
    const res = await req({ Method: 'PUT', Key: `workflow/${ids[0]}`, Query: { active: '' } });
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Code).toBe('InvalidArgument');
    expect(res.body.Error.Message).toMatch(/not Snapshot, Transcode, Segment, SmartCover, PicProcess/);
    const still = await req({ Method: 'GET', Key: 'workflow', Query: { ids: ids[0]! } });
    expectSameWorkflow(still.body.Response.MediaWorkflowList, documented[0], ids[0]!);
  });

  it('updates, pauses and deletes', async () => {
    const renamed = SEED_WORKFLOW_2_CREATE.replace('<Name>workflow-2</Name>', '<Name>workflow-2b</Name>');
    const upd = await req({ Method: 'PUT', Key: `workflow/${ids[1]}`, Body: renamed });
    expect(upd.body.Response.MediaWorkflow).toMatchObject({ WorkflowId: ids[1], Name: 'workflow-2b' });
    expect((await req({ Method: 'PUT', Key: `workflow/${ids[1]}`, Query: { paused: '' } })).statusCode).toBe(200);
    const paused = await req({ Method: 'GET', Key: 'workflow', Query: { ids: ids[1]! } });
    expect(paused.body.Response.MediaWorkflowList.State).toBe('Paused');
    const del = await req({ Method: 'DELETE', Key: `workflow/${ids[1]}` });
    expect(del.body.Response.WorkflowId).toBe(ids[1]);
    const gone = await req({ Method: 'GET', Key: 'workflow', Query: { ids: ids[1]! } });
    expect(gone.body.Response.NonExistIDs).toBe(ids[1]);
    ids.pop();
  });
});

describe('workflow validation', () => {
  const concat = (deps: string, nodes: string, name = 'wf') =>
    `<Request><MediaWorkflow><Name>${name}</Name><Topology><Dependencies>${deps}</Dependencies><Nodes>${nodes}</Nodes></Topology></MediaWorkflow></Request>`;
  const start = '<Start><Type>Start</Type><Input><QueueId>p1</QueueId><ObjectPrefix>in/</ObjectPrefix></Input></Start>';
  const concatNode = (key = 'Concat_1') =>
    `<${key}><Type>Concat</Type><Operation><TemplateId>t1</TemplateId><Output><Region>r</Region><Bucket>b</Bucket><Object>o.\${Ext}</Object></Output></Operation></${key}>`;

  it.each([
    [
      'a name with a space',
      concat('<Start>Concat_1</Start><Concat_1>End</Concat_1>', start + concatNode(), 'my flow'),
      /MediaWorkflow\.Name/,
    ],
    ['no Start node', concat('<Concat_1>End</Concat_1>', concatNode()), /exactly one Start/],
    [
      'a key not of the form <Type>_<suffix>',
      concat('<Start>Concat1</Start><Concat1>End</Concat1>', start + concatNode('Concat1')),
      /Nodes\.Concat1: node keys are <Type>_<suffix>/,
    ],
    [
      'a key naming another type',
      concat(
        '<Start>Snapshot_1</Start><Snapshot_1>End</Snapshot_1>',
        start + concatNode('Snapshot_1').replace(/<(\/?)Snapshot_1>/g, '<$1Snapshot_1>'),
      ),
      /Snapshot_1: the key says Snapshot but Type is Concat/,
    ],
    [
      'a node missing from Dependencies',
      concat('<Start>End</Start>', start + concatNode()),
      /Dependencies: has no entry for node Concat_1/,
    ],
    ['a successor not in Nodes', concat('<Start>Concat_2</Start>', start), /successor Concat_2 is not in Nodes/],
    [
      'a successor the table forbids',
      concat('<Start>Concat_1</Start><Concat_1>Concat_2</Concat_1><Concat_2>End</Concat_2>', start + concatNode() + concatNode('Concat_2')),
      /Concat node cannot be followed by Concat \(Concat_2\)/,
    ],
    [
      'a cycle',
      concat(
        '<Start>Transcode_1</Start><Transcode_1>Concat_1</Transcode_1><Concat_1>Transcode_1</Concat_1>',
        start +
          concatNode() +
          '<Transcode_1><Type>Transcode</Type><Operation><Output><Region>r</Region><Bucket>b</Bucket><Object>o</Object></Output></Operation></Transcode_1>',
      ),
      /cycle: Start -> Transcode_1 -> Concat_1 -> Transcode_1/,
    ],
    [
      'a Concat node without TemplateId',
      concat('<Start>Concat_1</Start><Concat_1>End</Concat_1>', start + concatNode().replace('<TemplateId>t1</TemplateId>', '')),
      /Nodes\.Concat_1: Operation\.TemplateId is required/,
    ],
    [
      'a Start node without ObjectPrefix',
      concat('<Start>Concat_1</Start><Concat_1>End</Concat_1>', start.replace('<ObjectPrefix>in/</ObjectPrefix>', '') + concatNode()),
      /Nodes\.Start: Input\.ObjectPrefix is required/,
    ],
    ['no Topology', '<Request><MediaWorkflow><Name>wf</Name></MediaWorkflow></Request>', /MediaWorkflow\.Topology/],
  ])('refuses %s with InvalidArgument naming the node', async (_name, body, message) => {
    const res = await req({ Method: 'POST', Key: 'workflow', Body: body });
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Code).toBe('InvalidArgument');
    expect(res.body.Error.Message).toMatch(message);
  });

  it('accepts a template id it cannot resolve yet: templates are checked when the workflow runs', async () => {
    const res = await req({
      Method: 'POST',
      Key: 'workflow',
      Body: concat('<Start>Concat_1</Start><Concat_1>End</Concat_1>', start + concatNode()),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body.Response.MediaWorkflow.State).toBe('Paused');
  });
});
