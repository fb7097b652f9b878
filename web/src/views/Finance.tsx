/** Finance: the daily attendance files by date (with their manifests), downloaded through presigned
 * links; an on-demand report for a period (and unit), its job followed to the end. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ok } from "../api/client";
import type { ReportFile, ReportFiles, ReportJob } from "../api/shapes";
import { useServices } from "../services";
import { Feedback, Section, useActions } from "../ui/common";

function isoDay(offsetDays: number): string {
  const day = new Date(Date.now() + offsetDays * 86_400_000);
  return day.toISOString().slice(0, 10);
}

export function FinanceView() {
  const { api } = useServices();
  const [from, setFrom] = useState(isoDay(-7));
  const [to, setTo] = useState(isoDay(0));
  const [files, setFiles] = useState<ReportFiles | null>(null);
  const [job, setJob] = useState<ReportJob | null>(null);
  const [jobForm, setJobForm] = useState({ from: isoDay(0), to: isoDay(0), unitId: "" });
  const listing = useActions();
  const asking = useActions();
  const following = useRef(0);

  async function list(event?: Event) {
    event?.preventDefault();
    await listing.run("Files listed", async () => {
      setFiles((await ok(api.GET("/reports/files", { params: { query: { from, to } } }))) as unknown as ReportFiles);
    });
  }

  useEffect(() => {
    void list();
    return () => { following.current++; };
  }, []);

  async function request(event: Event) {
    event.preventDefault();
    const ticket = ++following.current;
    await asking.run("Report requested", async () => {
      let current = (await ok(api.POST("/reports/jobs", { body: { from: jobForm.from, to: jobForm.to, unitId: jobForm.unitId || null } }))) as unknown as ReportJob;
      setJob(current);
      while (current.state !== "done" && current.state !== "failed" && ticket === following.current) {
        await new Promise((resolve) => window.setTimeout(resolve, 1000));
        current = (await ok(api.GET("/reports/jobs/{jobId}", { params: { path: { jobId: current.jobId } } }))) as unknown as ReportJob;
        setJob(current);
      }
      if (current.state === "failed") throw new Error(`The report failed: ${current.error ?? "no reason given"}`);
    });
  }

  return (
    <main id="main" class="finance">
      <h1>Attendance reports</h1>
      <Section title="Daily files">
        <form class="row" onSubmit={list}>
          <label>From <input type="date" name="from" value={from} required onInput={(e) => setFrom(e.currentTarget.value)} /></label>
          <label>To <input type="date" name="to" value={to} required onInput={(e) => setTo(e.currentTarget.value)} /></label>
          <button type="submit" disabled={listing.busy}>Show files</button>
        </form>
        <Feedback notice={listing.notice} />
        {files ? (
          files.days.length ? (
            <ul class="days" data-testid="days">
              {files.days.map((day) => (
                <li key={day.date} data-day={day.date}>
                  <h3>{day.date}</h3>
                  <Files files={day.files} />
                </li>
              ))}
            </ul>
          ) : <p data-testid="no-days">No daily files from {files.period.from} to {files.period.to}.</p>
        ) : null}
        {files ? <p class="hint">Days are in {files.timeZone}; links work for {Math.round(files.expiresInSeconds / 60)} minutes.</p> : null}
      </Section>
      <Section title="On-demand report">
        <form class="row" onSubmit={request}>
          <label>From <input type="date" name="job-from" value={jobForm.from} required onInput={(e) => setJobForm({ ...jobForm, from: e.currentTarget.value })} /></label>
          <label>To <input type="date" name="job-to" value={jobForm.to} required onInput={(e) => setJobForm({ ...jobForm, to: e.currentTarget.value })} /></label>
          <label>Unit (optional) <input name="job-unit" value={jobForm.unitId} onInput={(e) => setJobForm({ ...jobForm, unitId: e.currentTarget.value })} /></label>
          <button type="submit" disabled={asking.busy}>Request report</button>
        </form>
        <Feedback notice={asking.notice} />
        {job ? (
          <div data-testid="job" data-state={job.state}>
            <p>
              Job {job.jobId}: <strong>{job.state}</strong>
              {job.progress ? ` — ${job.progress.agentsDone} of ${job.progress.agentsTotal} agents (${job.progress.percent}%)` : ""}
            </p>
            {job.state !== "done" && job.state !== "failed" ? <progress max={100} value={job.progress?.percent ?? 0} aria-label="report progress" /> : null}
            {job.files?.length ? <Files files={job.files} /> : null}
          </div>
        ) : null}
      </Section>
    </main>
  );
}

function Files({ files }: { files: ReportFile[] }) {
  return (
    <ul class="files">
      {files.map((file) => (
        <li key={file.name}>
          <a href={file.url} download={file.name} data-file={file.name}>{file.name}</a>
          {file.bytes !== undefined ? <span> ({file.bytes} bytes)</span> : null}
        </li>
      ))}
    </ul>
  );
}
