// The workflow graph's pure modules under one name, for the pages outside the builder (executions) that import
// `features/workflows/graph`; the builder's own files import the module they need.
export * from "./catalog";
export * from "./flow";
export * from "./layout";
export * from "./problems";
export * from "./runs";
