import { libraryConfig } from '../../tooling/tsup';

export default libraryConfig({ entry: ['src/index.ts', 'src/eslint.ts'] });
