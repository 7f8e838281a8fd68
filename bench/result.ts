/** One benchmark's verdict, as every suite returns it and bench/run.ts prints it. */
export interface BenchResult {
  name: string;
  ratio: number;
  target: string;
  pass: boolean;
  detail: string;
}
