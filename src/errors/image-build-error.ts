// SPDX-License-Identifier: BSD-2-Clause
// Raised when an image build fails; the half-built image dataset has been destroyed already.

import { StockadeError } from './stockade-error.js';

/** An image build failed at `stage`: code IMAGE_BUILD_FAILED, the original error as cause. */
export class ImageBuildError extends StockadeError {
  constructor(data: { image: string; dataset: string; stage: string }, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('IMAGE_BUILD_FAILED', `failed to build image '${data.image}' at ${data.stage}: ${why}`, {
      data: { ...data },
      cause,
    });
  }
}
