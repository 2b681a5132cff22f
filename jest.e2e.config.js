import base from './jest.config.js';

/** The real-Kafka suite (npm run test:kafka): one file at a time, long timeouts. */
export default {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testPathIgnorePatterns: [],
  maxWorkers: 1,
  testTimeout: 300000,
};
