/** Wraps a source so that a test can see the LoadedImage an `analyzeImage` call made (which reader ran). */
import type { ImageSource, LoadedImage } from '@imgsize/core';

export function recording(source: ImageSource): { source: ImageSource; loaded: () => LoadedImage } {
  let image: LoadedImage | undefined;
  return {
    source: { kind: source.kind, description: source.description, load: async (o) => (image = await source.load(o)) },
    loaded: () => {
      if (!image) throw new Error('the source was not loaded');
      return image;
    },
  };
}
