import { libraryConfig } from '../../tooling/tsup';

export default libraryConfig();
