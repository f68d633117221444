// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), the subset we use.

const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;

const FACTORS: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function isQuantity(q: string): boolean {
    return QUANTITY.test(q);
}

/** The value of a quantity (bytes for storage, cores for CPU), NaN if it is not one. */
export function parseQuantity(q: string): number {
    const m = QUANTITY.exec(q);
    return m ? Number(m[1]) * FACTORS[m[3] ?? ""] : NaN;
}

/**
 * Bytes in the largest binary unit that states them exactly in two decimals: 1.5Gi, 200Mi,
 * 1152Mi (not 1.13Gi). Exact, so an "at least" in a message is never below what is needed.
 */
export function formatBytes(bytes: number): string {
    for (const unit of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
        const v = bytes / FACTORS[unit];
        if (v >= 1 && Math.round(v * 100) === v * 100) return `${v}${unit}`;
    }
    return String(bytes);
}
