// The failure converter of the worker and of the workflow sandbox, loaded by path (Worker.create's
// dataConverter.failureConverterPath; the bundler includes it in the workflow code). Failure messages
// and stack traces become an encoded payload, which the payload codec encrypts (server/temporal-codec.ts,
// whose `failureConverter` is the same for clients). CommonJS, so Node can require it outside tsx.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
