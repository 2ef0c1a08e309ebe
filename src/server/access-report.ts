import type { Plugin } from 'graphql-yoga';
import type { HubContext } from './context.js';

/**
 * Tells the caller which values of the response were masked or withheld, in
 * `extensions.access: { masked: [{ path, rule }], withheld: [{ path, reason }] }`, whenever the
 * request touched a catalogue resource.
 */
export function useAccessReport(): Plugin<HubContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const access = (args.contextValue as HubContext).access;
          if (!access.touched.size || Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, access: access.report } });
        },
      };
    },
  };
}
