console.log("strata")
