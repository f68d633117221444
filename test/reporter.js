// mocha's spec reporter, closing with the plain "N passed, N failed" line CI reads.
const Mocha = require("mocha");

class Reporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once("end", () => {
            const s = runner.stats;
            console.log(`${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ""}`);
        });
    }
}

module.exports = Reporter;
