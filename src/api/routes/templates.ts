// The templates resource (docs/ci-api.md 4): create (POST /template), update (PUT /template/<id>),
// delete (DELETE /template/<id>) and describe/search (GET /template?…), for Concat and Watermark.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isId, newId } from '../../domain/ids.js';
import type { TemplateRecord } from '../../domain/template.js';
import { parseTemplateRequest, templateToXml } from '../../wire/template.js';
import type { TemplateStore } from '../../store/template-store.js';
import { sendXml } from '../reply.js';
import { invalidArgument } from '../errors.js';
import { commaList, nonEmpty, pageParams, single, type Query } from '../query.js';

export function registerTemplateRoutes(app: FastifyInstance, templates: TemplateStore): void {
  const findOwn = async (req: FastifyRequest, id: string): Promise<TemplateRecord> => {
    const t = isId('template', id) ? await templates.get(req.ci.bucket, id) : undefined;
    if (!t) throw invalidArgument('TemplateId', `template ${id} does not exist in bucket ${req.ci.bucket}`);
    return t;
  };

  app.post('/template', async (req, reply) => {
    const body = parseTemplateRequest(req.readXml());
    const now = Date.now();
    const t: TemplateRecord = { ...body, templateId: newId('template', now), bucket: req.ci.bucket, createMs: now, updateMs: now };
    await templates.put(t);
    req.log.info({ templateId: t.templateId, tag: t.tag }, 'template created');
    return sendXml(reply, { RequestId: req.id, Template: templateToXml(t) });
  });

  app.put<{ Params: { id: string } }>('/template/:id', async (req, reply) => {
    const existing = await findOwn(req, req.params.id);
    const body = parseTemplateRequest(req.readXml());
    if (body.tag !== existing.tag)
      throw invalidArgument('Request.Tag', `template ${existing.templateId} is a ${existing.tag} template; its Tag cannot change`);
    const t: TemplateRecord = {
      ...body,
      templateId: existing.templateId,
      bucket: existing.bucket,
      createMs: existing.createMs,
      updateMs: Math.max(Date.now(), existing.updateMs),
    };
    await templates.put(t);
    req.log.info({ templateId: t.templateId }, 'template updated');
    return sendXml(reply, { RequestId: req.id, Template: templateToXml(t) });
  });

  app.delete<{ Params: { id: string } }>('/template/:id', async (req, reply) => {
    const t = await findOwn(req, req.params.id);
    await templates.delete(t);
    req.log.info({ templateId: t.templateId }, 'template deleted');
    return sendXml(reply, { RequestId: req.id, TemplateId: t.templateId });
  });

  app.get('/template', async (req, reply) => {
    const q = req.query as Query;
    const { pageNumber, pageSize } = pageParams(q);
    const tag = nonEmpty(single(q, 'tag')) ?? 'All';
    const category = nonEmpty(single(q, 'category')) ?? 'Custom';
    if (category !== 'Custom' && category !== 'Official')
      throw invalidArgument('category', `must be Custom or Official, got ${JSON.stringify(category)}`);
    const namePrefix = single(q, 'name') ?? '';
    const idsParam = single(q, 'ids');
    const ids = idsParam ? commaList(idsParam) : undefined;
    if (ids && ids.length > 100) throw invalidArgument('ids', `at most 100 template ids, got ${ids.length}`);

    let candidates: TemplateRecord[];
    let missing: string[] = [];
    if (ids) {
      const found = await templates.getMany(
        req.ci.bucket,
        ids.map((id) => (isId('template', id) ? id : `invalid:${id}`)),
      );
      candidates = found.filter((t): t is TemplateRecord => t !== undefined);
      missing = ids.filter((_id, i) => found[i] === undefined);
    } else {
      candidates = await templates.all(req.ci.bucket);
    }
    // This engine has no system presets: Official lists nothing.
    const matching = candidates.filter((t) => category === 'Custom' && (tag === 'All' || t.tag === tag) && t.name.startsWith(namePrefix));
    const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    const body: Record<string, unknown> = {
      RequestId: req.id,
      TotalCount: String(matching.length),
      PageNumber: String(pageNumber),
      PageSize: String(pageSize),
      TemplateList: page.map(templateToXml),
    };
    if (missing.length > 0) body.NonExistTIDs = { TemplateId: missing };
    return sendXml(reply, body);
  });
}
