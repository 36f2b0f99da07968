import type { AuditReport } from '../report-model.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { type SarifOptions, renderSarif } from './sarif.js';
import { type TableOptions, renderTable } from './table.js';

export const REPORT_FORMATS = ['table', 'json', 'sarif', 'junit', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type RenderOptions = TableOptions & SarifOptions;

/** Renders the report in one of the contract's formats; options a format does not use are ignored. */
export function renderReport(report: AuditReport, format: ReportFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'table':
      return renderTable(report, options);
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report, options);
    case 'junit':
      return renderJunit(report);
    case 'html':
      return renderHtml(report);
  }
}
