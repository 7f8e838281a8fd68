import pino from 'pino';
import { adoptSdkNodeNotice } from '../../src/node-notice';

// Each test file is a fresh module registry, so without this the AWS SDK's Node-version notice would print
// once per file that makes a client; the service's own start-up handling is what quiets it here too.
adoptSdkNodeNotice(pino({ level: 'silent' }));
