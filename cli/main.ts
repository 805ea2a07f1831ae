#!/usr/bin/env node
// The `ci-concat` command line (package.json `bin`): upload clips to the engine's S3 store, submit
// Concat jobs and follow them with a progress bar, list, describe and cancel jobs, pause and resume a
// queue. It is a client of the HTTP API like any CI SDK: it imports nothing of the engine.
import { Argument, Command, CommanderError, Option } from 'commander';
import { CiClient, type CiTarget } from './ci-client.js';
import { cancelJob, listJobs, showJob } from './commands/jobs.js';
import { setQueueState } from './commands/queue.js';
import { readJobFile, reportEnd, submit, waitForJob } from './commands/submit.js';
import { CiApiError, JobFailed, NotFound, Unreachable, UsageError } from './errors.js';
import { Printer } from './output.js';
import { apiSettings, bucketOf, DEFAULT_ENDPOINT, DEFAULT_REGION, regionOf, s3Settings, type GlobalOptions } from './settings.js';

const env = process.env;

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

function clientFor(opts: GlobalOptions, target: CiTarget): CiClient {
  return new CiClient(apiSettings(opts, env), target);
}

function targetOf(opts: GlobalOptions): CiTarget {
  return { bucket: bucketOf(opts, env), region: regionOf(opts, env) };
}

function positiveInt(name: string) {
  return (value: string): string => {
    if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    return value;
  };
}

const program = new Command('ci-concat')
  .description("Upload clips, submit Concat jobs and follow them on a ci-concat engine (Tencent Cloud Infinite's media-processing API).")
  .addOption(new Option('--endpoint <url>', `the engine's API (env CI_ENDPOINT, default ${DEFAULT_ENDPOINT})`))
  .addOption(new Option('--bucket <BucketName-APPID>', 'the bucket: the Host of API requests and the S3 bucket of uploads (env CI_BUCKET)'))
  .addOption(new Option('--region <region>', `the region the Host names (env CI_REGION, default ${DEFAULT_REGION})`))
  .option('--json', 'print results as JSON, for scripts')
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nRequests are signed with CI_SECRET_ID / CI_SECRET_KEY when set. Uploads go to S3_ENDPOINT (default the embedded\n' +
      'store `npm start` runs, http://127.0.0.1:4568) with S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (default S3RVER / S3RVER).',
  );

program
  .command('upload')
  .description('upload files to the S3 store (the bucket is created when missing); prints each key')
  .argument('<files...>', 'local files')
  .option('--prefix <prefix>', 'put before each file name, e.g. input/', '')
  .action(async (files: string[], opts: { prefix: string }, cmd: Command) => {
    const g = globals(cmd);
    const printer = new Printer(g.json === true);
    // The SDK warns on Node 20 about its own future releases, which says nothing about this upload.
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    // Loaded here: the S3 SDK takes a moment to load, and only this command needs it.
    const { upload } = await import('./commands/upload.js');
    await upload({ files, bucket: bucketOf(g, env), prefix: opts.prefix }, s3Settings(env), printer);
  });

program
  .command('submit')
  .description('submit a Concat job (POST /jobs) from an XML file; prints the JobId')
  .argument('<job.xml>', "the job's <Request> XML; the bucket and region default to its Output's")
  .option('--wait', 'follow the job with a progress bar until it ends; exit code 0 only for Success')
  .option('--interval <ms>', 'how often --wait asks for the job', positiveInt('--interval'), '500')
  .action(async (file: string, opts: { wait?: boolean; interval: string }, cmd: Command) => {
    const g = globals(cmd);
    const printer = new Printer(g.json === true);
    const job = readJobFile(file);
    const target = { bucket: bucketOf(g, env, job.outputBucket), region: regionOf(g, env, job.outputRegion) };
    const client = clientFor(g, target);
    const jobId = await submit(client, job.xml);
    if (opts.wait !== true) {
      printer.result([jobId], { jobId });
      return;
    }
    if (!printer.json) process.stdout.write(`${jobId}\n`);
    reportEnd(await waitForJob(client, jobId, target.bucket, printer, Number(opts.interval)), printer);
  });

program
  .command('jobs')
  .description("list the bucket's Concat jobs, newest first")
  .option('--state <states>', 'Submitted, Running, Success, Failed, Pause, Cancel (comma list) or All')
  .option('--queue <queueId>', 'only the jobs of this queue')
  .option('--size <n>', 'how many (1 to 100, default 10)', positiveInt('--size'))
  .option('--next-token <token>', 'the next page, as the previous list printed it')
  .action(async (opts: { state?: string; queue?: string; size?: string; nextToken?: string }, cmd: Command) => {
    const g = globals(cmd);
    await listJobs(clientFor(g, targetOf(g)), opts, new Printer(g.json === true));
  });

program
  .command('job')
  .description('describe a job: state, progress, error, output')
  .argument('<jobId>')
  .action(async (jobId: string, _opts: unknown, cmd: Command) => {
    const g = globals(cmd);
    await showJob(clientFor(g, targetOf(g)), jobId, new Printer(g.json === true));
  });

program
  .command('cancel')
  .description('cancel a job that has not started (Submitted or Pause)')
  .argument('<jobId>')
  .action(async (jobId: string, _opts: unknown, cmd: Command) => {
    const g = globals(cmd);
    await cancelJob(clientFor(g, targetOf(g)), jobId, new Printer(g.json === true));
  });

program
  .command('queue')
  .description('pause or resume a queue (default: the queue jobs without a QueueId go to)')
  .addArgument(new Argument('<action>').choices(['pause', 'resume']))
  .option('--queue <queueId>', 'the queue')
  .action(async (action: 'pause' | 'resume', opts: { queue?: string }, cmd: Command) => {
    const g = globals(cmd);
    await setQueueState(clientFor(g, targetOf(g)), action, opts.queue, new Printer(g.json === true));
  });

/** The message and exit code of a failure; anything unexpected keeps its stack for a bug report. */
function report(err: unknown): number {
  // The job's end state has been shown already (the bar, or its line); what is left is why.
  if (err instanceof JobFailed || err instanceof CiApiError) {
    process.stderr.write(`${err.code}: ${err.ciMessage}\n`);
    return err.exitCode;
  }
  if (err instanceof UsageError || err instanceof NotFound || err instanceof Unreachable) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

try {
  program.exitOverride();
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has already printed its own usage errors (and --help); only their exit code is left.
  process.exitCode = err instanceof CommanderError ? err.exitCode : report(err);
}
