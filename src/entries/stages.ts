/**
 * `ragline/stages`: the pipeline stages (async generators composed with `pipe`), the document types
 * they pass along, and the crawl's and the iteration helpers. Only re-exports.
 */
export type * from '../types.js';
export { pipe, collect, drain, type Stage, type PipeSource } from '../iter/pipe.js';
export { parallelMap, type ParallelMapOptions } from '../iter/parallel-map.js';
export { batchBy, splitBy } from '../iter/batch-by.js';

export * from '../stages/crawl.js';
export * from '../stages/read-files.js';
export * from '../stages/extract.js';
export * from '../stages/chunk.js';
export * from '../stages/embed.js';
export * from '../stages/store.js';
export * from '../stages/metadata.js';
export { documentSource, isCrawlSource, type DocumentSourceOptions } from '../core/document-source.js';
export { estimateIngest, type EstimateIngestOptions, type IngestEstimate } from '../embed/estimate.js';

export { httpGet, type HttpGetOptions, type HttpResponse } from '../net/http-get.js';
export { isPrivateAddress } from '../net/address-guard.js';
export { parseRobots, fetchRobots, type RobotsRules } from '../crawl/robots.js';
export { parseSitemap, readSitemaps, type SitemapEntry, type ParsedSitemap, type ReadSitemapsOptions } from '../crawl/sitemap.js';
export { compilePattern, stripSessionIds, CRAWL_SCOPES, type CrawlScope, type ScopeOptions, type TrapOptions } from '../crawl/scope.js';

export { registerFormat, formatForFile, formatForContentType, formatForResponse, supportedExtensions, supportedMediaTypes } from '../formats/registry.js';
export { SNIFF_BYTES, type Format, type TextFormat, type BytesFormat, type FormatLookup, type FormatMissReason } from '../formats/format.js';
export type { ExtractorResult } from '../extract/extractor.js';
export { keywordQuery, keywordTerms, keywordVector, chunkKeywords, tsvectorText, type KeywordEntry, type KeywordWeight } from '../text/keywords.js';
